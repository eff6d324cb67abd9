"""The config contract: valid configs load, broken ones exit 2 naming the key path."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import yaml

from configs.loader import ConfigError, parse_config
from configs.model import effective_rules
from tests.conftest import ROOT


def issues_of(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.issues


def paths(data: dict) -> list[str]:
    return [p for p, _ in issues_of(data)]


def check_cli(path) -> subprocess.CompletedProcess:
    """``python -m configs.loader check PATH``, as an administrator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "configs.loader", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_demo_config_is_valid(config_dict):
    cfg = parse_config(config_dict)
    assert cfg.region_path("lianhua") == ["ziyang", "yanjiang", "lianhua"]
    assert cfg.cameras[0].zones[0].kind.value == "post"


def test_missing_hall_names_the_camera_key(config_dict):
    config_dict["cameras"][0]["hall"] = "no-such-hall"
    assert issues_of(config_dict) == [("cameras[0].hall", "unknown hall 'no-such-hall'")]


def test_polygon_with_two_points(config_dict):
    config_dict["cameras"][0]["zones"][1]["polygon"] = [[0, 0], [10, 10]]
    ((path, message),) = issues_of(config_dict)
    assert path == "cameras[0].zones[1].polygon"
    assert "at least 3 points" in message


def test_polygon_without_area(config_dict):
    config_dict["cameras"][0]["zones"][0]["polygon"] = [[0, 0], [10, 10], [20, 20]]
    assert paths(config_dict) == ["cameras[0].zones[0].polygon"]


def test_unknown_zone_kind(config_dict):
    config_dict["cameras"][0]["zones"][2]["kind"] = "smoking_area"
    ((path, message),) = issues_of(config_dict)
    assert path == "cameras[0].zones[2].kind"
    assert "post" in message and "queue_area" in message


def test_fewer_than_four_calibration_points(config_dict):
    calibration = config_dict["cameras"][0]["calibration"]
    calibration["image"] = calibration["image"][:3]
    calibration["floor"] = calibration["floor"][:3]
    assert set(paths(config_dict)) == {"cameras[0].calibration.image", "cameras[0].calibration.floor"}
    assert all("at least 4 points" in m for _, m in issues_of(config_dict))


def test_collinear_calibration_points(config_dict):
    config_dict["cameras"][0]["calibration"] = {
        "image": [[0, 0], [100, 100], [200, 200], [300, 300]],
        "floor": [[0, 0], [1, 0], [1, 1], [0, 1]],
    }
    ((path, message),) = issues_of(config_dict)
    assert path == "cameras[0].calibration.image"
    assert "collinear" in message


def test_three_of_four_calibration_points_collinear(config_dict):
    config_dict["cameras"][0]["calibration"] = {
        "image": [[0, 0], [100, 0], [200, 0], [0, 100]],
        "floor": [[0, 0], [1, 0], [1, 1], [0, 1]],
    }
    ((path, message),) = issues_of(config_dict)
    assert path == "cameras[0].calibration"
    assert "collinear" in message


def test_post_zone_needs_a_known_window(config_dict):
    config_dict["cameras"][0]["zones"][0]["window"] = "w9"
    assert issues_of(config_dict) == [("cameras[0].zones[0].window", "hall 'lianhua-center' has no window 'w9'")]
    del config_dict["cameras"][0]["zones"][0]["window"]
    assert paths(config_dict) == ["cameras[0].zones[0]"]


def test_region_levels_nest(config_dict):
    config_dict["regions"][2]["parent"] = "ziyang"  # township directly under the city
    ((path, message),) = issues_of(config_dict)
    assert path == "regions[2].parent"
    assert "must be a county" in message


def test_unknown_key_is_an_error_not_ignored(config_dict):
    config_dict["rules"]["empty_post"]["afer_s"] = 10
    assert paths(config_dict) == ["rules.empty_post.afer_s"]


def test_unknown_schedule_and_bad_period(config_dict):
    config_dict["halls"][0]["schedule"] = "nope"
    assert paths(config_dict) == ["halls[0].schedule"]
    config_dict["halls"][0]["schedule"] = "township"
    config_dict["schedules"]["township"]["weekly"][0]["periods"][0] = ["12:00", "08:30"]
    ((path, message),) = issues_of(config_dict)
    assert path == "schedules.township.weekly[0].periods[0]"
    assert "not after start" in message


def test_zone_rule_overrides_validate_and_apply(config_dict):
    zone = config_dict["cameras"][0]["zones"][0]
    zone["rules"] = {"empty_post": {"after_s": -1}}
    assert paths(config_dict) == ["cameras[0].zones[0].rules.empty_post.after_s"]
    zone["rules"] = {"empty_post": {"after_s": 42}}
    cfg = parse_config(config_dict)
    rules = effective_rules(cfg.rules, cfg.cameras[0].zones[0].rules)
    assert rules.empty_post.after_s == 42
    assert rules.empty_post.return_s == cfg.rules.empty_post.return_s


def test_mot_source_needs_frame_size(config_dict):
    config_dict["cameras"][0]["source"] = "mot:det.txt"
    assert paths(config_dict) == ["cameras[0]"]


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda c: c["cameras"][0].update(hall="ghost"), "cameras[0].hall"),
        (lambda c: c["cameras"][0]["zones"][0].update(kind="bathroom"), "cameras[0].zones[0].kind"),
    ],
)
def test_cli_exits_2_naming_the_key(tmp_path, config_dict, breakage, expected):
    breakage(config_dict)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config_dict, allow_unicode=True))
    result = subprocess.run(
        [sys.executable, str(ROOT / "run_pipeline.py"), "--config", str(path), "--no-kafka"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    assert expected in result.stderr


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("regions: [\n  {id: a\n")
    result = check_cli(path)
    assert result.returncode == 2
    assert "line" in result.stderr and "not valid YAML" in result.stderr


def test_evidence_without_a_signing_key_is_a_config_error(config_dict, tmp_path, monkeypatch):
    """Recording evidence nobody can verify is refused at load time, naming the key (not a traceback
    when the first clip is written)."""
    monkeypatch.delenv("HALLWATCH_EVIDENCE_KEY", raising=False)
    config_dict["evidence"].pop("hmac_key", None)
    with pytest.raises(ConfigError) as error:
        parse_config(config_dict)
    assert error.value.issues[0][0] == "evidence.hmac_key"
    monkeypatch.setenv("HALLWATCH_EVIDENCE_KEY", "from-the-environment")
    assert parse_config(config_dict).evidence.hmac_key == "from-the-environment"
    monkeypatch.delenv("HALLWATCH_EVIDENCE_KEY")
    config_dict["evidence"]["enabled"] = False
    assert parse_config(config_dict).evidence.enabled is False
    path = tmp_path / "site.yaml"
    config_dict["evidence"]["enabled"] = True
    path.write_text(yaml.safe_dump(config_dict, allow_unicode=True))
    result = subprocess.run(
        [sys.executable, "run_pipeline.py", "--config", str(path), "--no-kafka"],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "evidence.hmac_key" in result.stderr and "Traceback" not in result.stderr


def test_rules_that_need_metres_on_an_uncalibrated_camera_are_a_config_error(config_dict):
    camera = config_dict["cameras"][0]
    del camera["calibration"]
    issues = issues_of(config_dict)
    assert any(path == "cameras[0].calibration" and "staff_chatting" in message for path, message in issues)
    assert any(path == "cameras[0].calibration" and "queue_crowding" in message for path, message in issues)
    for zone in camera["zones"]:  # switching those rules off for the zones is a valid choice
        if zone["kind"] in ("staff_area", "queue_area"):
            rule = "staff_chatting" if zone["kind"] == "staff_area" else "queue_crowding"
            zone["rules"] = {rule: {"enabled": False}}
    assert parse_config(config_dict).cameras[0].calibration is None


def test_a_zone_outside_the_frame_is_a_config_error(config_dict):
    camera = config_dict["cameras"][0]
    camera["frame_size"] = [768, 576]
    camera["zones"][0]["polygon"] = [[900, 700], [1000, 700], [1000, 800], [900, 800]]
    assert "cameras[0].zones[0].polygon" in [path for path, _ in issues_of(config_dict)]


def test_a_config_written_as_json_loads_and_broken_json_is_reported_as_yaml(tmp_path, config_dict):
    import json

    path = tmp_path / "site.json"
    path.write_text(json.dumps(config_dict, ensure_ascii=False))
    from configs.loader import load_config

    assert load_config(path).halls[0].id == config_dict["halls"][0]["id"]
    path.write_text(json.dumps(config_dict, ensure_ascii=False)[:-5])
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "line" in error.value.issues[0][0]


def test_a_large_yaml_config_is_parsed_once_per_content(tmp_path, config_dict, monkeypatch):
    """A province's YAML is parsed once and kept (as JSON, keyed by the text's hash) for the next
    start; a changed file is parsed afresh, and an unreadable cache only costs time."""
    import yaml

    from configs import loader

    monkeypatch.setenv("HALLWATCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(loader, "LARGE_YAML", 100)  # this small config counts as large here
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(config_dict, allow_unicode=True))
    first = loader.load_config(path)
    cached = list((tmp_path / "cache" / "configs").glob("*.json"))
    assert len(cached) == 1
    parses, parse = [], yaml.load
    monkeypatch.setattr(loader.yaml, "load", lambda *a, **k: parses.append(1) or parse(*a, **k))
    assert loader.load_config(path) == first and parses == []  # the next start reads the cache
    config_dict["halls"][0]["name"] = "改名后的大厅"
    path.write_text(yaml.safe_dump(config_dict, allow_unicode=True))
    assert loader.load_config(path).halls[0].name == "改名后的大厅" and parses == [1]
    cached[0].write_text("{broken")  # a damaged entry is parsed again, not trusted
    config_dict["halls"][0]["name"] = first.halls[0].name
    path.write_text(yaml.safe_dump(config_dict, allow_unicode=True))
    assert loader.load_config(path) == first


@pytest.mark.parametrize(
    "name",
    ['雁江"区', "\u202e区江雁", "莲花\x07中心", "窗口\u2028一", "中心\u200b", " ", "名" * 65],
    ids=["double-quote", "rtl-override", "bell", "line-separator", "zero-width", "blank", "65-characters"],
)
def test_display_names_that_would_disguise_or_cut_a_legend_are_refused(config_dict, name):
    """Every display name the legends, the selectors, the sheets and the console show (issue 24 #9)."""
    config_dict["regions"][0]["name"] = name
    config_dict["halls"][0]["name"] = name
    config_dict["halls"][0]["windows"][0]["name"] = name
    config_dict["cameras"][0]["name"] = name
    config_dict["cameras"][0]["zones"][0]["name"] = name
    assert sorted(paths(config_dict)) == sorted(
        ["regions[0].name", "halls[0].name", "halls[0].windows[0].name", "cameras[0].name", "cameras[0].zones[0].name"]
    )


@pytest.mark.parametrize("precision", ["fp16", "BF16", "", "int4", 16, None])
def test_a_detector_precision_is_one_the_detector_runs(config_dict, precision):
    """fp32, bf16 and int8 only: anything else is refused naming the key, never guessed at."""
    for accepted in ("fp32", "bf16", "int8"):
        config_dict["detector"] = {"precision": accepted}
        assert parse_config(config_dict).detector.precision == accepted
    config_dict["detector"] = {"precision": precision}
    assert paths(config_dict) == ["detector.precision"]


def numeric_leaves(value, path=()):
    """Every number of a config dict, with its key path as the loader names it."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from numeric_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from numeric_leaves(item, (*path, index))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path


def test_every_number_of_a_config_must_be_finite_and_in_bounds(demo_config_dict):
    """An ``.inf``, ``.nan`` or 1e300 anywhere in the YAML is refused naming its key (a zone with an
    infinite vertex was accepted and written back as ``.inf`` by the installers' tool; an infinite
    ``analysis_fps`` or ``stall_s`` loaded; ``evidence.pre_s: 1e300`` loaded, and a duration that
    large overflows Python's timedelta where it is used)."""
    import copy

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from configs.loader import key_path

    leaves = list(numeric_leaves(demo_config_dict))
    assert len(leaves) > 40  # polygons, calibration, rates, rule parameters

    def at(data, path):
        for key in path[:-1]:
            data = data[key]
        return data

    @settings(max_examples=150, deadline=None, derandomize=True, database=None)
    @given(st.sampled_from(leaves), st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e300, -1e300]))
    def check(path, value):
        data = copy.deepcopy(demo_config_dict)
        at(data, path)[path[-1]] = value
        assert key_path(path) in paths(data), (path, value)

    check()


def test_a_non_finite_number_in_the_yaml_file_exits_2_naming_the_key(tmp_path, config_dict):
    path = tmp_path / "nan.yaml"
    path.write_text(yaml.safe_dump(config_dict, allow_unicode=True).replace("analysis_fps: 5", "analysis_fps: .nan"))
    result = check_cli(path)
    assert result.returncode == 2 and "cameras[0].analysis_fps" in result.stderr, result.stderr


def test_settings_that_cost_judgement_are_advised_not_refused(tmp_path, config_dict):
    """Below 5 analysed frames/s the one-metre line and gatherings miss walkers (model card): the
    check, the pipeline's start and the installers' tool say so; the config still loads."""
    from configs.loader import advisories

    assert advisories(parse_config(config_dict)) == []  # the demo hall: 5 frames/s
    camera = config_dict["cameras"][0]
    camera["analysis_fps"] = 2
    (advice,) = advisories(parse_config(config_dict))
    assert (advice.path, advice.kind) == ("cameras[0].analysis_fps", "low_analysis_rate")
    assert "2 frames/s" in advice.message and "model_card" in advice.message
    for zone in camera["zones"]:  # empty posts only: 2 frames/s is enough
        if zone["kind"] in ("staff_area", "queue_area"):
            rule = "staff_chatting" if zone["kind"] == "staff_area" else "queue_crowding"
            zone["rules"] = {rule: {"enabled": False}}
    assert advisories(parse_config(config_dict)) == []
    camera["source_fps"], camera["analysis_fps"] = 7, 10
    assert [a.kind for a in advisories(parse_config(config_dict))] == ["analysis_above_source"]
    path = tmp_path / "advised.yaml"
    path.write_text(yaml.safe_dump(config_dict, allow_unicode=True))
    result = check_cli(path)
    assert result.returncode == 0, result.stderr
    assert "advice: cameras[0].analysis_fps: 10 frames/s asked of a 7 frames/s source" in result.stdout


def test_every_number_the_config_schema_admits_is_bounded():
    """Not only the demo's: each number and integer of the JSON Schema has a minimum and a maximum
    (bounded sizes, finite numbers); the lunar days are bounded by their own validator (1-30)."""
    from configs.model import HallwatchConfig

    schema = HallwatchConfig.model_json_schema()
    unbounded = set()

    def walk(node, where):
        if node.get("type") in ("number", "integer"):
            low = "minimum" in node or "exclusiveMinimum" in node
            high = "maximum" in node or "exclusiveMaximum" in node
            if not (low and high):
                unbounded.add(where)
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for sub in node.get(key, []):
                walk(sub, where)
        if isinstance(node.get("items"), dict):
            walk(node["items"], where + "[]")
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{where}.{name}")

    for name, definition in schema["$defs"].items():
        walk(definition, name)
    walk({k: v for k, v in schema.items() if k != "$defs"}, "HallwatchConfig")
    assert unbounded == {"MarketDays.lunar_days[]"}, sorted(unbounded)


@pytest.mark.parametrize(
    "grow, where",
    [
        (lambda c: c["cameras"][0]["zones"][0].update(polygon=[[round(300 + 100 * math.cos(i / 32), 3), round(300 + 100 * math.sin(i / 32), 3)] for i in range(201)]), "cameras[0].zones[0].polygon"),
        (lambda c: c["cameras"][0].update(zones=[{**c["cameras"][0]["zones"][0], "id": f"z{i}"} for i in range(101)]), "cameras[0].zones"),
        (lambda c: c["cameras"][0]["calibration"].update(image=[[i, i * i % 97] for i in range(51)]), "cameras[0].calibration.image"),
        (lambda c: c["halls"][0].update(windows=[{"id": f"w{i}"} for i in range(501)]), "halls[0].windows"),
    ],
)  # fmt: skip
def test_a_configs_lists_are_bounded_where_a_hall_is(config_dict, grow, where):
    """Polygons, zones, calibration points and windows at most as many as the installers' tool and
    the overlays take (200, 100, 50) and a hall could have (500 windows)."""
    grow(config_dict)
    assert where in paths(config_dict)
