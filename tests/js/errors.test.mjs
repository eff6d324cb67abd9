// alerts/console/errors.js: what a refusal reads like (tests/test_console_errors.py feeds it the real service's answers).
import assert from "node:assert/strict";
import {test} from "node:test";

import {adviceText, errorText, fieldText, kindText} from "../../alerts/console/errors.js";

test("key paths and locations name the field in words, items counted from one", () => {
  assert.equal(fieldText(["body", "cameras[0].zones[1].polygon"]), "第 1 个摄像头的第 2 个区域的区域顶点");
  assert.equal(fieldText(["body", "zones", 2, "window"]), "第 3 个区域的窗口");
  assert.equal(fieldText(["body", "image", 3, 0]), "第 4 个画面标定点");
  assert.equal(fieldText(["body", "due_at"]), "整改时限");
  assert.equal(fieldText(["body", "no_such_field"]), "");
});

test("a kind reads with its context, an unknown kind still in Chinese", () => {
  assert.equal(kindText("string_too_long", {max_length: 64}), "不能超过 64 个字符");
  assert.equal(kindText("too_few_points", {need: 4, got: 3}), "至少需要 4 个点（现有 3 个）");
  assert.equal(kindText("something_new"), "取值无效");
});

test("each problem once; English details give way to the status's words; the service's Chinese stays", () => {
  const twice = {detail: [{loc: ["body", "image"], type: "too_short", ctx: {min_length: 4}, msg: "List should have at least 4 items"},
    {loc: ["body", "image"], type: "too_short", ctx: {min_length: 4}, msg: "List should have at least 4 items"}]};
  assert.equal(errorText(422, twice), "画面标定点：至少需要 4 项");
  assert.equal(errorText(403, {detail: "a discipline_officer may not register absence"}), "您的账号无权执行此操作");
  assert.equal(errorText(422, {detail: "督办单无法生成：请联系管理员查看服务日志"}), "督办单无法生成：请联系管理员查看服务日志");
  assert.equal(errorText(418, {}), "操作失败（418）");
});

test("the config section's advice reads in Chinese, each once; none says nothing", () => {
  const slow = {loc: "cameras[0].analysis_fps", type: "low_analysis_rate", msg: "2 frames/s: queue_crowding (zone 'q') ..."};
  assert.equal(adviceText([slow, slow]), `注意：${kindText("low_analysis_rate")}。`);
  assert.match(adviceText([slow]), /每秒 5 帧/);
  assert.equal(adviceText([]), "");
  assert.equal(adviceText(undefined), "");
});
