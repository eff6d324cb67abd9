// What the console says when the service refuses a request: Chinese, by the field and the kind of
// each problem (the `loc` and `type` of a 422, like FastAPI's own), by the status otherwise. The
// service's English `msg` is for the log and for integrators; it is never shown here. Pure: no DOM.

// Fields of the console's forms and of the installer's config section, by their key.
export const FIELDS = {
  person: "人员", hall: "大厅", hall_id: "大厅", window: "窗口", window_id: "窗口", zone_id: "区域",
  start: "开始时间", end: "结束时间", day: "日期", days: "星期", dates: "日期", periods: "时段",
  valid_from: "生效日期", valid_until: "截止日期", reason: "事由", note: "说明", text: "交接内容",
  requirement: "整改要求", due_at: "整改时限", outcome: "复核结论", event_ids: "所选告警", action: "操作",
  username: "用户名", password: "密码", region: "区域范围", group_by: "统计方式",
  zones: "区域", polygon: "区域顶点", kind: "区域类型", id: "编号", name: "名称", rules: "规则参数",
  calibration: "地面标定", image: "画面标定点", floor: "地面标定点", frame_size: "画面尺寸",
  source: "视频源", analysis_fps: "分析帧率", timezone: "时区", schedule: "作息表", lunar_days: "农历日",
  ticket: "票号", score: "评分", comment: "评语", at: "时间", events: "事件", camera: "摄像头",
};

// Lists whose items the message counts from one (第 2 个区域).
const ITEMS = {zones: "区域", periods: "时段", dates: "日期", image: "画面标定点", floor: "地面标定点", cameras: "摄像头"};

// Each kind of problem; a function gets the error's `ctx`.
export const KINDS = {
  missing: "必须填写",
  blank: "不能为空白",
  printable: "含有不可见的控制字符，请重新输入",
  double_quote: "不能含英文双引号，请改用中文引号“”",
  extra_forbidden: "不是可填写的项",
  string_too_short: "不能为空",
  string_too_long: (c) => `不能超过 ${c.max_length} 个字符`,
  too_short: (c) => `至少需要 ${c.min_length} 项`,
  too_long: (c) => `最多 ${c.max_length} 项`,
  too_few_points: (c) => `至少需要 ${c.need} 个点（现有 ${c.got} 个）`,
  greater_than: (c) => `须大于 ${c.gt}`,
  greater_than_equal: (c) => `不能小于 ${c.ge}`,
  less_than: (c) => `须小于 ${c.lt}`,
  less_than_equal: (c) => `不能大于 ${c.le}`,
  int_parsing: "须为整数", int_type: "须为整数", int_from_float: "须为整数",
  float_parsing: "须为数字", float_type: "须为数字", finite_number: "须为有效数字",
  bool_parsing: "须为是或否", bool_type: "须为是或否",
  string_type: "须为文字", list_type: "须为列表", dict_type: "格式不对", model_type: "格式不对", model_attributes_type: "格式不对",
  json_invalid: "内容不是有效的 JSON",
  literal_error: "不是可选的值", enum: "不是可选的值",
  datetime_parsing: "时间格式不对", datetime_from_date_parsing: "时间格式不对", datetime_type: "时间格式不对",
  date_parsing: "日期格式不对", date_from_datetime_parsing: "日期格式不对", date_type: "日期格式不对",
  iso_time: "时间格式不对（须带时区，如 2026-03-02T09:00+08:00）",
  offset_needed: "须带时区（如 +08:00）",
  timezone_aware: "须带时区（如 +08:00）",
  year_range: "超出可用的年份范围",
  date_range: "日期须在 2000 至 2100 年之间",
  range_too_long: "结束日期须不早于开始日期，且范围不超过允许的天数",
  end_not_after_start: "结束须晚于开始",
  not_hhmm: "须为 时:分（如 08:30）",
  lunar_day: "农历日须在 1 至 30 之间",
  deadline_range: "须为将来的时间，且在 366 天之内",
  window_needed: "岗位和服务区须指定所属窗口",
  window_or_zone_needed: "须指定窗口或岗位区域",
  unknown_window: "不是该大厅的窗口",
  unknown_hall: "不是配置中的大厅",
  unknown_region: "不是配置中的区域",
  unknown_schedule: "不是配置中的作息表",
  unknown_time_zone: "不是有效的时区",
  duplicate_id: "编号重复",
  level_nesting: "上下级关系不符（市 → 县 → 乡）",
  no_area: "没有面积（顶点共线或重复）",
  collinear: "标定点几乎在一条直线上，请分散到地面各处",
  points_mismatch: (c) => `画面标定点（${c.image} 个）与地面标定点（${c.floor} 个）数目须相同`,
  floor_too_wide: (c) => `地面范围 ${c.span} 米，超过大厅的最大范围 ${c.max} 米（单位是米，不是厘米？）`,
  degenerate_calibration: "标定点无法确定地面（有三点共线或重合），请重新选点",
  calibration_needed: "该区域的规则需要测量地面距离：请先完成地面标定，或关闭该规则",
  outside_frame: "区域在画面之外，永远看不到人",
  low_analysis_rate: "分析帧率低于每秒 5 帧，一米线和聚众聊天规则要跟踪走动的人，会漏掉一部分：建议每秒 5 帧",
  analysis_above_source: "分析帧率高于视频本身的帧率，实际按视频帧率逐帧分析",
  frame_size_needed: "回放检测数据须填写画面尺寸",
  window_needed_for_kind: "叫号、办理、办结和评价须指定窗口",
  ticket_needed: "须填写票号",
  score_only_for_rating: "评价须有评分（1–5），其他事件不能有评分",
  rating_fields: "人员和评语只属于评价",
  service_only_when_issued: "办理事项只属于取号",
  csv_encoding: "CSV 文件须为 UTF-8 编码",
  csv_header: "CSV 第一行须为字段名",
  csv_row: "CSV 行的列数多于字段名",
  window_or_camera_needed: "须指定窗口或摄像头",
  unknown_camera: "不是该大厅的摄像头",
  no_camera_for_window: "没有摄像头拍摄该窗口",
  span_out_of_range: "结束须晚于开始，且时段不超过允许的长度",
  span_in_future: "所选时段尚未发生",
  not_retained: "该时段的录像未保存（超出保存期或当时未录像）",
};

// Answers without a field: what the status says.
export const STATUSES = {
  400: "请求有误", 401: "登录已失效，请重新登录", 403: "您的账号无权执行此操作",
  404: "未找到（可能已被删除，或不在您的管辖范围内）", 409: "当前状态不允许此操作（可能已被他人处理），请刷新后重试",
  413: "内容过大", 422: "输入有误，请检查后重试", 429: "服务繁忙，请稍后重试",
  503: "服务暂时不可用，请稍后重试",
};

const CJK = /[\u4e00-\u9fff]/;

// 'cameras[0].zones[1].polygon' (the installer's key paths) and ["body","zones",1,"polygon"] alike.
function parts(loc) {
  const out = [];
  for (const part of loc) {
    if (typeof part === "number") { out.push(part); continue; }
    for (const piece of String(part).split(".")) {
      const m = /^([^[]*)((?:\[\d+\])*)$/.exec(piece);
      if (!m) { out.push(piece); continue; }
      if (m[1]) out.push(m[1]);
      for (const index of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
    }
  }
  return out.filter((p) => !["body", "query", "path"].includes(p) && !String(p).startsWith("function-"));
}

// Where a problem lies, in words: "第 2 个区域的区域顶点", "整改时限".
export function fieldText(loc) {
  const p = parts(loc || []);
  const words = [];
  for (let i = 0; i < p.length; i++) {
    const key = p[i];
    if (typeof key === "number") continue;
    if (ITEMS[key] && typeof p[i + 1] === "number") {
      words.push(`第 ${p[i + 1] + 1} 个${ITEMS[key]}`);
      i++;
    } else if (FIELDS[key]) {
      words.push(FIELDS[key]);
    }
  }
  return words.length ? words.join("的") : "";
}

export function kindText(type, ctx) {
  const known = KINDS[type];
  if (typeof known === "function") return known(ctx || {});
  return known || "取值无效";
}

// What the service advises about a valid config section (settings that cost judgement), each once.
export function adviceText(items) {
  const words = [...new Set((items || []).map((a) => kindText(a.type, a.ctx)))];
  return words.length ? `注意：${words.join("；")}。` : "";
}

// One line for one refused request: each problem once, field first.
export function errorText(status, body) {
  const detail = body && body.detail;
  if (Array.isArray(detail) && detail.length) {
    const lines = detail.map((d) => {
      const where = fieldText(d.loc);
      return (where ? `${where}：` : "") + kindText(d.type, d.ctx);
    });
    return [...new Set(lines)].join("；");
  }
  if (typeof detail === "string" && CJK.test(detail)) return detail;  // the service's own Chinese
  return STATUSES[status] || `操作失败（${status}）`;
}
