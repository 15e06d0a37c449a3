"""Every user mistake is one line naming the file and the YAML path (or line), the bad
value and what is allowed; exit code 2; no traceback; nothing written.

Table-driven over syntax, types, bounds, NaN/inf/huge values, encodings, traces,
profiles, names, paths, overrides and options. The CLI runs in-process (``main``),
exactly as the ``fedsim`` entry point does; a few cases also run as a real process in
``test_cli_errors.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from fedsim.cli.main import main
from tests.helpers.scenarios import two_provider_dict

Data = dict[str, Any]


@dataclass(frozen=True)
class Case:
    id: str
    expect: tuple[str, ...]
    mutate: Callable[[Data], None] | None = None
    raw: Callable[[Path], Path] | None = None  # writes its own input file(s), returns the path
    args: tuple[str, ...] = ()
    command: str = "run"
    names_file: bool = True  # the line names the scenario file
    forbid: tuple[str, ...] = ()  # must not appear (e.g. pydantic artefacts)


def at(path: str, value: Any) -> Callable[[Data], None]:
    """Set ``a.b[1].c`` in the scenario dict."""

    def apply(data: Data) -> None:
        from fedsim.config.loader import parse_path

        parts = parse_path(path)
        node: Any = data
        for p in parts[:-1]:
            node = node[p]
        node[parts[-1]] = value

    return apply


def drop(path: str) -> Callable[[Data], None]:
    def apply(data: Data) -> None:
        from fedsim.config.loader import parse_path

        parts = parse_path(path)
        node: Any = data
        for p in parts[:-1]:
            node = node[p]
        del node[parts[-1]]

    return apply


def text(body: str | bytes, name: str = "s.yaml") -> Callable[[Path], Path]:
    def write(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
        return path

    return write


def scenario_text(change: Callable[[str], str]) -> Callable[[Path], Path]:
    """The base scenario as YAML text, edited as text (for duplicate keys and the like)."""

    def write(tmp: Path) -> Path:
        path = tmp / "s.yaml"
        path.write_text(change(yaml.safe_dump(two_provider_dict(horizon_s=21600), sort_keys=False)))
        return path

    return write


TRACE_HEADER = "timestamp,duration,num_gpus,gpu_time,cluster\n"
TRACE_ROWS = "".join(
    f"2017-10-01T{h:02d}:00:00,3600,1,3600,{c}\n" for h in range(6) for c in ("aa", "bb")
)


def with_trace(rows: str | bytes, **trace: Any) -> Callable[[Path], Path]:
    """The base scenario replaying a Philly-format trace written beside it."""

    def write(tmp: Path) -> Path:
        body = rows if isinstance(rows, bytes) else (TRACE_HEADER + rows).encode()
        (tmp / "trace.csv").write_bytes(body)
        data = two_provider_dict(horizon_s=21600)
        data["dnn_trace"] = {
            "path": "trace.csv",
            "cluster_to_provider": {"aa": "gpu_rich", "bb": "cpu_rich"},
            "job_type_mix": {"cnn": 1.0},
            **trace,
        }
        path = tmp / "s.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return write


def with_file(name: str, body: str, key: str, extra: Callable[[Data], None] | None = None):
    """The base scenario naming a side file ``name`` (written with ``body``) at ``key``."""

    def write(tmp: Path) -> Path:
        (tmp / name).write_text(body)
        data = two_provider_dict(horizon_s=21600)
        if extra is not None:
            extra(data)
        at(key, name)(data)
        path = tmp / "s.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return write


def gavel(data: Data) -> None:
    data["affinity"].pop("table")


def profile(data: Data) -> None:
    data["affinity"] = {
        "reference_gpu": "k80",
        "profile": {"path": "x", "gpu_types": ["k80", "v100"],
                    "jobs": {"cnn": {"model": "resnet_cnn", "batch_size": 32},
                             "rec": {"model": "mlp_recommender", "batch_size": 32}}},
    }


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + k)}: &{chr(98 + k)} [*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, "
    f"*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}]\n"
    for k in range(8)
)

CASES = [
    # --- syntax and structure
    Case("unclosed-bracket", ("YAML syntax error",), raw=text("seed: 1\nproviders: [\n  {a: 1\n")),
    Case("tab-indent", ("YAML syntax error",), raw=text("seed: 1\nfederation:\n\tepoch_s: 3\n")),
    Case("duplicate-top-key", ("duplicate key 'seed'", "first at line"),
         raw=scenario_text(lambda t: t.replace("seed: 7\n", "seed: 7\nseed: 8\n"))),
    Case("duplicate-nested-key", ("duplicate key 'cpu'",),
         raw=scenario_text(lambda t: t.replace("cpu: 64\n", "cpu: 64\n    cpu: 65\n", 1))),
    Case("empty-file", ("file is empty",), raw=text("")),
    Case("top-level-list", ("a YAML mapping", "got a list"), raw=text("- a\n- b\n")),
    Case("scalar-document", ("a YAML mapping",), raw=text("just words\n")),
    Case("alias-bomb", ("alias bomb",), raw=text(ALIAS_BOMB)),
    Case("huge-file", ("too large for a scenario",), raw=text("# " + "x" * (3 * 2**20) + "\n")),
    Case("not-utf8", ("not UTF-8", "offset"), raw=text(b"name: caf\xe9\nseed: 1\n")),
    Case("python-tag", ("YAML syntax error",),
         raw=text("seed: !!python/object/apply:os.system ['true']\n")),
    Case("deep-nesting", ("s.yaml",), raw=text("a: " + "[" * 20000 + "]" * 20000 + "\n")),
    Case("unknown-top-key", ("horizon: unknown key",), mutate=at("horizon", 5)),
    Case("unknown-nested-key", ("providers[0].dnn.rate: unknown key",),
         mutate=at("providers[0].dnn.rate", 3)),
    Case("missing-horizon", ("horizon_s: required key is missing",), mutate=drop("horizon_s")),
    Case("missing-providers", ("providers: required key is missing",), mutate=drop("providers")),
    Case("no-providers", ("providers: must have at least 1 item",), mutate=at("providers", [])),
    # --- types
    Case("seed-true", ("seed: must be an integer, got true",), mutate=at("seed", True)),
    Case("provider-bad-item", ("providers[0].prices.dnn_usd_per_gpu_h: must be a number, got 'x'",),
         mutate=at("providers[0].prices.dnn_usd_per_gpu_h", "x"),
         forbid=("more problem", "Tuple should", "after validation")),
    Case("seed-string", ("seed: must be an integer, got '7'",), mutate=at("seed", "7")),
    Case("seed-negative", ("seed: must be >= 0, got -1",), mutate=at("seed", -1)),
    Case("seed-huge", ("seed: must be <= ",), mutate=at("seed", 2**70)),
    Case("horizon-words", ("horizon_s: must be a number, got '1 day'",),
         mutate=at("horizon_s", "1 day")),
    Case("pool-string", ("providers[0].pools.gpu:v100: must be an integer, got '16'",),
         mutate=at("providers[0].pools.gpu:v100", "16")),
    Case("pool-fraction", ("providers[0].pools.cpu: must be an integer, got 64.5",),
         mutate=at("providers[0].pools.cpu", 64.5)),
    Case("gpu-mix-key", ("providers[0].dnn.gpu_mix", "must be an integer, got 'one'"),
         mutate=at("providers[0].dnn.gpu_mix", {"one": 1.0})),
    Case("members-string", ("federation.members: must be a list",),
         mutate=at("federation.members", "gpu_rich")),
    Case("web-model", ("web_model: must be one of", "turbo"), mutate=at("web_model", "turbo")),
    Case("mech-param-type", ("federation.mechanism.params.markup: must be a number, got 'high'",),
         mutate=at("federation.mechanism", {"name": "posted_price", "params": {"markup": "high"}})),
    Case("mech-param-unknown", ("federation.mechanism.params: unknown parameter(s) solvr",
                                "allowed: solver"),
         mutate=at("federation.mechanism.params", {"solvr": "cbc"})),
    Case("mech-param-nan", ("federation.mechanism.params.markup: must be a finite number",),
         mutate=at("federation.mechanism", {"name": "posted_price",
                                            "params": {"markup": float("nan")}})),
    Case("mech-param-value", ("federation.mechanism.params", "markup"),
         mutate=at("federation.mechanism", {"name": "posted_price", "params": {"markup": -1}})),
    Case("mech-unknown", ("federation.mechanism.name: unknown mechanism 'nope'", "lp_welfare"),
         mutate=at("federation.mechanism.name", "nope")),
    Case("mech-code", ("federation.mechanism.name", "--trust-code"),
         mutate=at("federation.mechanism.name", "os:system")),
    # --- bounds
    Case("pool-negative", ("providers[1].pools.gpu:k80: must be >= 0, got -4",),
         mutate=at("providers[1].pools.gpu:k80", -4)),
    Case("horizon-zero", ("horizon_s: must be > 0, got 0",), mutate=at("horizon_s", 0)),
    Case("epoch-zero", ("federation.epoch_s: must be > 0, got 0",),
         mutate=at("federation.epoch_s", 0)),
    Case("epoch-negative", ("federation.epoch_s: must be > 0, got -5",),
         mutate=at("federation.epoch_s", -5)),
    Case("rate-negative", ("providers[0].dnn.rate_per_h: must be >= 0",),
         mutate=at("providers[0].dnn.rate_per_h", -1)),
    Case("percentile", ("providers[0].web.sla.percentile: must be < 1, got 1.5",),
         mutate=at("providers[0].web.sla.percentile", 1.5)),
    Case("service-zero", ("providers[0].web.service_ms: must be > 0",),
         mutate=at("providers[0].web.service_ms", 0)),
    Case("busy-below-idle", ("providers[0].cost.busy_usd_per_unit_h.cpu", "below the idle cost"),
         mutate=at("providers[0].cost.busy_usd_per_unit_h.cpu", 0.001)),
    Case("cost-negative", ("providers[1].cost.idle_usd_per_unit_h.cpu: must be >= 0",),
         mutate=at("providers[1].cost.idle_usd_per_unit_h.cpu", -0.1)),
    Case("price-negative", ("providers[0].prices.dnn_usd_per_gpu_h: must be >= 0",),
         mutate=at("providers[0].prices.dnn_usd_per_gpu_h", -1)),
    Case("cpu-speed-zero", ("providers[0].cpu_speed: must be >= 1e-06",),
         mutate=at("providers[0].cpu_speed", 0)),
    Case("sla-unattainable", ("providers[0].web.sla", "unattainable"),
         mutate=at("providers[0].web.sla.latency_ms", 10)),
    # --- NaN, inf and absurdly large values
    Case("horizon-nan", ("horizon_s: must be a finite number, got nan",),
         mutate=at("horizon_s", float("nan"))),
    Case("horizon-inf", ("horizon_s: must be a finite number, got inf",),
         mutate=at("horizon_s", float("inf"))),
    Case("epoch-inf", ("federation.epoch_s: must be a finite number",),
         mutate=at("federation.epoch_s", float("inf"))),
    Case("cost-nan", ("providers[0].cost.idle_usd_per_unit_h.cpu: must be a finite number",),
         mutate=at("providers[0].cost.idle_usd_per_unit_h.cpu", float("nan"))),
    Case("price-inf", ("providers[1].prices.dnn_usd_per_gpu_h: must be a finite number",),
         mutate=at("providers[1].prices.dnn_usd_per_gpu_h", float("inf"))),
    Case("phase-inf", ("providers[0].web.phase_s: must be a finite number",),
         mutate=at("providers[0].web.phase_s", float("inf"))),
    Case("diurnal-phase-nan", ("providers[0].dnn.diurnal_phase_s: must be a finite number",),
         mutate=at("providers[0].dnn.diurnal_phase_s", float("nan"))),
    Case("horizon-1e308", ("horizon_s (1e+308 s): this run would need", "memory"),
         mutate=at("horizon_s", 1e308)),
    Case("rate-1e308", ("providers[0].dnn.rate_per_h (1e+308)", "memory"),
         mutate=at("providers[0].dnn.rate_per_h", 1e308)),
    Case("epoch-1e-300", ("federation.epoch_s (1e-300 s", "market epochs"),
         mutate=at("federation.epoch_s", 1e-300)),
    Case("epoch-centiseconds-week", ("federation.epoch_s (0.01 s over 604800 s)",
                                     "6e+07 market epochs"),
         mutate=lambda d: (at("horizon_s", 604800)(d), at("federation.epoch_s", 0.01)(d))),
    Case("rps-1e9", ("providers[0].web.mean_rps", "cores busy", "up to 500,000 cores"),
         mutate=at("providers[0].web.mean_rps", 1e9)),
    Case("requests-mode-month", ("providers[1].web.mean_rps", "request-level", "this run would"),
         mutate=lambda d: (at("web_model", "requests")(d), at("horizon_s", 30 * 86400)(d),
                           at("providers[1].web.mean_rps", 400000)(d))),
    # --- names and references
    Case("name-traversal", ("name: must be", "'../../etc'"), mutate=at("name", "../../etc")),
    Case("name-absolute", ("name: must be", "'/tmp/x'"), mutate=at("name", "/tmp/x")),
    Case("provider-slash", ("providers[0].name: must be",), mutate=at("providers[0].name", "a/b")),
    Case("provider-duplicate", ("providers: provider named twice: gpu_rich",),
         mutate=at("providers[1].name", "gpu_rich")),
    Case("member-duplicate", ("federation.members: provider named twice: gpu_rich",),
         mutate=at("federation.members", ["gpu_rich", "gpu_rich"])),
    Case("member-unknown", ("federation.members[1]: unknown provider 'east'",),
         mutate=at("federation.members", ["gpu_rich", "east"])),
    Case("link-unknown", ("network.links[0].between: unknown provider 'x'",),
         mutate=at("network.links", [{"between": ["gpu_rich", "x"], "bandwidth_gbps": 1,
                                      "rtt_ms": 5}])),
    Case("cost-unknown-pool", ("providers[0].cost.idle_usd_per_unit_h.gpu:v10",
                               "no pool 'gpu:v10'", "gpu:v100"),
         mutate=at("providers[0].cost.idle_usd_per_unit_h.gpu:v10", 0.5)),
    Case("pool-key", ("providers[0].pools.gpu v100", "'cpu' or 'gpu:<type>'"),
         mutate=at("providers[0].pools", {"gpu v100": 4, "cpu": 8})),
    Case("gpu-not-in-affinity", ("providers[0].pools.gpu:a100", "no throughput", "k80"),
         mutate=lambda d: d["providers"][0]["pools"].update({"gpu:a100": 8})),
    Case("job-type-unknown", ("providers[0].dnn.job_type_mix", "unknown job type(s) bert"),
         mutate=at("providers[0].dnn.job_type_mix", {"bert": 1.0})),
    Case("reference-unknown", ("affinity.reference_gpu", "'h100'", "known GPU types"),
         mutate=at("affinity.reference_gpu", "h100")),
    Case("two-affinity-sources", ("affinity", "exactly one of"),
         mutate=at("affinity.gavel_csv", "x.csv")),
    Case("gang-fits-nowhere", ("providers[0].dnn: none can run", "gang of 32 GPU(s)"),
         mutate=lambda d: (at("providers[0].dnn.gpu_mix", {32: 1.0})(d),
                           at("federation.members", ["gpu_rich"])(d))),
    Case("zero-reference-throughput", ("none can run", "zero throughput on the reference GPU"),
         mutate=lambda d: (at("affinity.table.rec", {"k80": 0.0, "v100": 5.0})(d),
                           at("providers[0].dnn.job_type_mix", {"rec": 1.0})(d))),
    Case("zero-throughput-here", ("providers[0].dnn: none can run",
                                  "rec has zero throughput on every GPU type its owner has (v100)"),
         mutate=lambda d: (at("affinity.table.rec", {"k80": 10.0, "v100": 0.0})(d),
                           at("providers[0].dnn.job_type_mix", {"rec": 1.0})(d),
                           at("federation.members", ["gpu_rich"])(d))),
    # --- traces
    Case("trace-missing", ("dnn_trace.path: trace file not found",),
         mutate=at("dnn_trace", {"path": "nope.csv", "cluster_to_provider": {"a": "gpu_rich"},
                                 "job_type_mix": {"cnn": 1}})),
    Case("trace-truncated-row", ("dnn_trace.path", "trace.csv: line 4: expected 5 fields, saw 3"),
         raw=with_trace(TRACE_ROWS[:84] + "2017-10-01T01:30:00,3600,1\n" + TRACE_ROWS[84:])),
    Case("trace-extra-field", ("trace.csv: line 3: expected 5 fields, saw 6",),
         raw=with_trace("2017-10-01T00:00:00,3600,1,3600,aa\n2017-10-01T00:10:00,3,1,3,aa,zz\n")),
    Case("trace-bad-time", ("trace.csv: line 3: timestamp", "unparsable"),
         raw=with_trace("2017-10-01T00:00:00,3600,1,3600,aa\nyesterday,3600,1,3600,aa\n")),
    Case("trace-bad-duration", ("trace.csv: line 2: duration 'long'",),
         raw=with_trace("2017-10-01T00:00:00,long,1,3600,aa\n")),
    Case("trace-zero-gpus", ("trace.csv: line 2: num_gpus '0'", "integer >= 1"),
         raw=with_trace("2017-10-01T00:00:00,3600,0,0,aa\n")),
    Case("trace-empty-window", ("no job of the mapped clusters", "window"),
         raw=with_trace(TRACE_ROWS, start_s=10**7)),
    Case("trace-not-utf8", ("trace.csv", "dnn_trace.path"),
         raw=with_trace(TRACE_HEADER.encode() + b"2017-10-01T00:00:00,36\xff0,1,3600,aa\n")),
    Case("trace-unknown-provider", ("dnn_trace.cluster_to_provider.aa: unknown provider 'west'",),
         raw=with_trace(TRACE_ROWS, cluster_to_provider={"aa": "west"})),
    Case("gavel-missing", ("affinity.gavel_csv", "g.csv", "not found"),
         mutate=lambda d: d.update(affinity={"reference_gpu": "k80", "gavel_csv": "g.csv"})),
    Case("gavel-bad-row", ("affinity.gavel_csv", "line 2", "steps_per_s"),
         raw=with_file("g.csv", "job_type,batch_size,scale_factor,gpu_type,steps_per_s\n"
                       "cnn,32,1,k80,fast\n", "affinity.gavel_csv", gavel)),
    # --- calibration profiles
    Case("profile-missing", ("affinity.profile", "no such file"),
         raw=lambda tmp: _profile_scenario(tmp, None)),
    Case("profile-columns", ("affinity.profile", "missing column(s)"),
         raw=lambda tmp: _profile_scenario(tmp, "kind,model\ncompute,resnet_cnn\n")),
    # --- paths and files
    Case("scenario-missing", ("nope.yaml: scenario file not found",),
         raw=lambda tmp: tmp / "nope.yaml"),
    Case("scenario-is-dir", ("dir.yaml", "is a directory", "fedsim run --help"),
         raw=lambda tmp: _mkdir(tmp / "dir.yaml")),
    Case("out-is-file", ("--out", "s.yaml", "is a file"), args=("--out", "{tmp}/s.yaml")),
    Case("out-foreign", ("not written by fedsim", "mine.txt"),
         args=("--out", "{tmp}/foreign"), names_file=False),
    # --- overrides and options
    Case("set-no-equals", ("--set federation.epoch_s", "expected KEY=VALUE"),
         args=("--set", "federation.epoch_s"), names_file=False),
    Case("set-bad-path", ("--set providers[x", "cannot parse"),
         args=("--set", "providers[x=1"), names_file=False),
    Case("set-index", ("--set providers[5].name", "does not exist"),
         args=("--set", "providers[5].name=x"), names_file=False),
    Case("set-bad-yaml", ("--set seed=[1", "not valid YAML"), args=("--set", "seed=[1"),
         names_file=False),
    Case("set-bad-value", ("(with --set overrides)", "federation.epoch_s: must be > 0, got -1"),
         args=("--set", "federation.epoch_s=-1")),
    Case("max-cpu-zero", ("--max-cpu-h must be > 0",), args=("--max-cpu-h", "0"),
         names_file=False),
    Case("trust-code-form", ("--trust-code 'nocolon'", "module:Class"),
         args=("--trust-code", "nocolon"), names_file=False),
    Case("validate-bad", ("providers[1].pools.gpu:k80: must be >= 0",), command="validate",
         mutate=at("providers[1].pools.gpu:k80", -4)),
]


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _profile_scenario(tmp: Path, body: str | None) -> Path:
    data = two_provider_dict(horizon_s=21600)
    profile(data)
    if body is not None:
        (tmp / "p.csv").write_text(body)
    data["affinity"]["profile"]["path"] = "p.csv"
    path = tmp / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def tree(path: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(path.rglob("*"))}


def test_there_are_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "mine.txt").write_text("keep")
    if case.raw is not None:
        scenario = case.raw(tmp_path)
    else:
        data = copy.deepcopy(two_provider_dict(horizon_s=21600))
        if case.mutate is not None:
            case.mutate(data)
        scenario = tmp_path / "s.yaml"
        scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    before = tree(tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    out = ["--out", str(tmp_path / "out"), "--quiet"] if case.command == "run" else []
    if "--out" in args:
        out = ["--quiet"]
    with pytest.raises(SystemExit) as exited:
        main([case.command, str(scenario), *out, *args])
    captured = capsys.readouterr()
    assert exited.value.code == 2, captured.err
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    line = lines[0]
    assert line.startswith("fedsim: error: ")
    if case.names_file:
        assert scenario.name in line, line
    for fragment in case.expect:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    for fragment in (*case.forbid, "Input should", "Value error", "pydantic"):
        assert fragment not in line, f"{fragment!r} in {line!r}"
    assert tree(tmp_path) == before, "something was written"
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()
