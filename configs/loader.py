"""Load a YAML config, validate it, and report every problem by its key path.

python -m configs.loader check configs/demo.yaml     # exit 2 with key paths on error
python -m configs.loader schema                       # JSON Schema of the config
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import BaseModel, ValidationError

from configs.env import ENV_EVIDENCE_KEY, apply_overrides, cache_dir, integration_token_variable
from configs.model import LEVEL_PARENT, HallwatchConfig, Level, Rules, ZoneKind, effective_rules


class Issue(NamedTuple):
    """One thing wrong with a config: where (a key path), what (English, for the log and the CLI)
    and its kind (a stable code the console translates, e.g. ``unknown_window``)."""

    path: str
    message: str
    kind: str = "invalid"


class ConfigError(Exception):
    """A config that cannot be used; ``issues`` holds (key path, message) pairs, ``kinds`` their kinds."""

    def __init__(self, source: str, issues: Sequence[tuple[str, str] | Issue]):
        self.source = source
        self.details = [Issue(*issue) for issue in issues]
        self.issues = [(i.path, i.message) for i in self.details]
        lines = "\n".join(f"  {path}: {message}" for path, message in self.issues)
        super().__init__(f"invalid config {source}:\n{lines}")


def key_path(loc: Iterable[Any]) -> str:
    """('cameras', 1, 'zones', 0, 'polygon') -> 'cameras[1].zones[0].polygon'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union")):
            continue  # pydantic's internal validator names are not keys
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _clean_message(message: str) -> str:
    return message.removeprefix("Value error, ")


def _pydantic_issues(error: ValidationError, prefix: Sequence[Any] = ()) -> list[Issue]:
    return [Issue(key_path([*prefix, *e["loc"]]), _clean_message(e["msg"]), e["type"]) for e in error.errors()]


def _duplicates(ids: list[str]) -> set[str]:
    seen: set[str] = set()
    return {i for i in ids if i in seen or seen.add(i)}  # type: ignore[func-returns-value]


def reference_issues(cfg: HallwatchConfig) -> list[Issue]:
    """Cross-references pydantic cannot see: ids that must exist, be unique, nest by level."""
    issues: list[Issue] = []
    regions = {r.id: r for r in cfg.regions}
    for label, items in (("regions", cfg.regions), ("halls", cfg.halls), ("cameras", cfg.cameras)):
        for dup in _duplicates([i.id for i in items]):
            issues.append(Issue(label, f"duplicate id {dup!r}", "duplicate_id"))
    for i, region in enumerate(cfg.regions):
        if region.level is Level.city:
            if region.parent is not None and region.parent not in regions:
                issues.append(Issue(f"regions[{i}].parent", f"unknown region {region.parent!r}", "unknown_region"))
            continue
        if region.parent is None:
            issues.append(Issue(f"regions[{i}].parent", f"a {region.level.value} region needs a parent", "missing"))
        elif region.parent not in regions:
            issues.append(Issue(f"regions[{i}].parent", f"unknown region {region.parent!r}", "unknown_region"))
        elif regions[region.parent].level is not LEVEL_PARENT[region.level]:
            issues.append(
                Issue(
                    f"regions[{i}].parent",
                    f"a {region.level.value} region's parent must be a {LEVEL_PARENT[region.level].value}, "
                    f"{region.parent!r} is a {regions[region.parent].level.value}",
                    "level_nesting",
                )
            )
    halls = {h.id: h for h in cfg.halls}
    for i, hall in enumerate(cfg.halls):
        if hall.region not in regions:
            issues.append(Issue(f"halls[{i}].region", f"unknown region {hall.region!r}", "unknown_region"))
        if hall.schedule is not None and hall.schedule not in cfg.schedules:
            issues.append(Issue(f"halls[{i}].schedule", f"unknown schedule {hall.schedule!r}", "unknown_schedule"))
        for dup in _duplicates([w.id for w in hall.windows]):
            issues.append(Issue(f"halls[{i}].windows", f"duplicate window id {dup!r}", "duplicate_id"))
        for j, window in enumerate(hall.windows):
            if window.schedule is not None and window.schedule not in cfg.schedules:
                issues.append(
                    Issue(
                        f"halls[{i}].windows[{j}].schedule", f"unknown schedule {window.schedule!r}", "unknown_schedule"
                    )
                )
    for dup in _duplicates([i.id for i in cfg.integrations]):
        issues.append(Issue("integrations", f"duplicate id {dup!r}", "duplicate_id"))
    for i, integration in enumerate(cfg.integrations):
        for j, hall_id in enumerate(integration.halls):
            if hall_id not in halls:
                issues.append(Issue(f"integrations[{i}].halls[{j}]", f"unknown hall {hall_id!r}", "unknown_hall"))
    for i, shift in enumerate(cfg.rosters):
        hall = halls.get(shift.hall)
        if hall is None:
            issues.append(Issue(f"rosters[{i}].hall", f"unknown hall {shift.hall!r}", "unknown_hall"))
        elif shift.window not in {w.id for w in hall.windows}:
            issues.append(
                Issue(f"rosters[{i}].window", f"hall {hall.id!r} has no window {shift.window!r}", "unknown_window")
            )
    for i, camera in enumerate(cfg.cameras):
        hall = halls.get(camera.hall)
        if hall is None:
            issues.append(Issue(f"cameras[{i}].hall", f"unknown hall {camera.hall!r}", "unknown_hall"))
        for dup in _duplicates([z.id for z in camera.zones]):
            issues.append(Issue(f"cameras[{i}].zones", f"duplicate zone id {dup!r}", "duplicate_id"))
        window_ids = {w.id for w in hall.windows} if hall else set()
        for j, zone in enumerate(camera.zones):
            if zone.window is not None and hall is not None and zone.window not in window_ids:
                issues.append(
                    Issue(
                        f"cameras[{i}].zones[{j}].window",
                        f"hall {hall.id!r} has no window {zone.window!r}",
                        "unknown_window",
                    )
                )
            issues.extend(_override_issues(cfg.rules, zone.rules, [f"cameras[{i}].zones[{j}].rules"]))
        issues.extend(_installation_issues(cfg, camera, i))
    return issues


# Rules that measure floor distances, by the zone kind they watch.
NEEDS_METRES = {ZoneKind.staff_area: "staff_chatting", ZoneKind.queue_area: "queue_crowding"}


def _installation_issues(cfg: HallwatchConfig, camera, i: int) -> list[Issue]:
    """Mistakes that would otherwise raise false alarms or none at all, silently: a rule that needs
    metres on an uncalibrated camera, a zone that lies outside the frame."""
    issues = []
    for j, zone in enumerate(camera.zones):
        rule = _enabled_metre_rule(cfg, zone)
        if rule and camera.calibration is None:
            issues.append(
                Issue(
                    f"cameras[{i}].calibration",
                    f"zone {zone.id!r} ({zone.kind.value}) needs floor "
                    f"distances for {rule}: calibrate the camera (python -m ingest.calibrate), or set "
                    f"cameras[{i}].zones[{j}].rules.{rule}.enabled: false",
                    "calibration_needed",
                )
            )
        if camera.frame_size is not None:
            w, h = camera.frame_size
            xs, ys = [p[0] for p in zone.polygon], [p[1] for p in zone.polygon]
            if max(xs) <= 0 or max(ys) <= 0 or min(xs) >= w or min(ys) >= h:
                issues.append(
                    Issue(
                        f"cameras[{i}].zones[{j}].polygon",
                        f"lies outside the {w}x{h} frame: nobody "
                        f"could ever be seen in it"
                        + (" (a post there is empty all day)" if zone.kind is ZoneKind.post else ""),
                        "outside_frame",
                    )
                )
    return issues


# Below this rate the tracker follows fewer walking people (docs/model_card.md: at 2 frames/s
# PETS09's tracked recall falls to 0.69 from 0.86 at 5), which the one-metre line and gatherings need.
WALKERS_FPS = 5.0


def advisories(cfg: HallwatchConfig) -> list[Issue]:
    """A valid config's settings that cost judgement, for the installer to weigh (the CLI's
    ``check``, the pipeline's start and the installation tool say them; nothing refuses them): a
    camera with the one-metre line or gatherings analysed below WALKERS_FPS, one asked to analyse
    more frames than its source has."""
    advice: list[Issue] = []
    for i, camera in enumerate(cfg.cameras):
        rate = f"cameras[{i}].analysis_fps"
        walkers = [(zone.id, rule) for zone in camera.zones if (rule := _enabled_metre_rule(cfg, zone)) is not None]
        if walkers and camera.analysis_fps < WALKERS_FPS:
            zone_id, rule = walkers[0]
            why = (
                f"{camera.analysis_fps:g} frames/s: {rule} (zone {zone_id!r}) follows people who walk, and "
                f"below {WALKERS_FPS:g} frames/s fewer of them are tracked (docs/model_card.md)"
            )
            advice.append(Issue(rate, why, "low_analysis_rate"))
        if camera.source_fps is not None and camera.analysis_fps > camera.source_fps:
            more = f"{camera.analysis_fps:g} frames/s asked of a {camera.source_fps:g} frames/s source: every frame is analysed"
            advice.append(Issue(rate, more, "analysis_above_source"))
    return advice


def _enabled_metre_rule(cfg: HallwatchConfig, zone) -> str | None:
    """The floor-distance rule a zone of its kind runs (NEEDS_METRES), when enabled there."""
    rule = NEEDS_METRES.get(zone.kind)
    if rule is None:
        return None
    try:
        return rule if getattr(effective_rules(cfg.rules, zone.rules), rule).enabled else None
    except ValidationError:
        return None  # reported as an override issue


def _override_issues(defaults: Rules, overrides: BaseModel | None, prefix: list[Any]) -> list[Issue]:
    if overrides is None:
        return []
    issues: list[Issue] = []
    for name in type(overrides).model_fields:
        partial = getattr(overrides, name)
        if partial is None:
            continue
        base = getattr(defaults, name)
        try:
            type(base).model_validate({**base.model_dump(), **partial})
        except ValidationError as error:
            issues.extend(_pydantic_issues(error, [*prefix, name]))
    return issues


def parse_config(data: Any, source: str = "<config>") -> HallwatchConfig:
    if not isinstance(data, dict):
        raise ConfigError(source, [Issue("(top level)", "expected a mapping of keys", "dict_type")])
    try:
        cfg = HallwatchConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(source, _pydantic_issues(error)) from None
    issues = reference_issues(cfg)
    if issues:
        raise ConfigError(source, issues)
    cfg = apply_overrides(cfg)
    issues = secret_issues(cfg)
    if issues:
        raise ConfigError(source, issues)
    return cfg


MIN_TOKEN = 24


def secret_issues(cfg: HallwatchConfig) -> list[tuple[str, str]]:
    """Secrets a config needs once the environment is applied."""
    issues = []
    records = cfg.evidence.enabled and any(not c.source.startswith("mot:") for c in cfg.cameras)
    if records and not cfg.evidence.hmac_key:
        issues.append(
            (
                "evidence.hmac_key",
                f"evidence is recorded for the cameras but nothing signs it: set "
                f"evidence.hmac_key or {ENV_EVIDENCE_KEY}, or set evidence.enabled: false",
            )
        )
    for i, integration in enumerate(cfg.integrations):
        if len(integration.token) < MIN_TOKEN:
            issues.append(
                (
                    f"integrations[{i}].token",
                    f"at least {MIN_TOKEN} characters: set it or {integration_token_variable(integration.id)}",
                )
            )
    return issues


def resolve_relative(cfg: HallwatchConfig, base: Path) -> HallwatchConfig:
    """Relative file sources are taken relative to the config file's folder, then the cwd."""
    cameras = []
    for camera in cfg.cameras:
        source = camera.source
        prefix = "mot:" if source.startswith("mot:") else ""
        path = source[len(prefix) :]
        if "://" not in path and not path.isdigit() and not Path(path).is_absolute():
            candidate = base / path
            if candidate.exists() or not Path(path).exists():
                source = prefix + str(candidate)
        cameras.append(camera.model_copy(update={"source": source}))
    return cfg.model_copy(update={"cameras": cameras})


def _json_or_none(text: str) -> object | None:
    """A config written as JSON (valid YAML too) parses ~30 times faster: worth it for a province's
    20,000 cameras, which a tool generates anyway. Anything else is YAML."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None  # YAML flow style, or broken: the YAML parser reports where


LARGE_YAML = 256 * 1024  # bytes: below this, parsing takes well under a second


def _cached_yaml(text: str) -> object:
    """A large YAML config parsed once per content: PyYAML takes ~12 s for a province's 3.7 MB
    (its construction runs in Python even with libyaml), so the parsed document is kept as JSON
    in the cache, keyed by the text's SHA-256, and every later start with the same file reads
    that instead (~0.3 s). Only documents JSON represents exactly are cached (an unquoted date,
    which YAML makes a date, is parsed every time)."""
    path = cache_dir() / "configs" / f"{hashlib.sha256(text.encode()).hexdigest()}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        encoded = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(encoded)
        partial.replace(path)
    except OSError:
        pass  # a read-only cache only costs the next start its parse
    return data


def load_config(path: str | os.PathLike[str]) -> HallwatchConfig:
    """Read, validate and return the config; raises ConfigError naming every bad key path."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = _json_or_none(text)
        if data is None and len(text) > LARGE_YAML:
            data = _cached_yaml(text)
        elif data is None:  # libyaml's C loader where PyYAML has it
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as error:
        raise ConfigError(str(path), [("(file)", f"cannot read: {error.strerror}")]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(str(path), [(where, f"not valid YAML: {getattr(error, 'problem', error)}")]) from None
    return resolve_relative(parse_config(data, str(path)), path.parent)


def load_or_exit(path: str | os.PathLike[str]) -> HallwatchConfig:
    """For command-line tools: the config, or its errors on stderr and exit status 2."""
    try:
        return load_config(path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["schema"]:
        print(json.dumps(HallwatchConfig.model_json_schema(), ensure_ascii=False, indent=2))
        return 0
    if len(args) == 2 and args[0] == "check":
        try:
            cfg = load_config(args[1])
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 2
        print(f"ok: {len(cfg.regions)} regions, {len(cfg.halls)} halls, {len(cfg.cameras)} cameras")
        for advice in advisories(cfg):
            print(f"advice: {advice.path}: {advice.message}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
