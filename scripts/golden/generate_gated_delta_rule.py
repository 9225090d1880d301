#!/usr/bin/env python3
"""Generate golden test vectors for the gated delta rule.

The reference is flash-linear-attention (PyPI ``flash-linear-attention`` /
``fla-core``, module ``fla``): ``fla.ops.gated_delta_rule.naive`` function
``naive_recurrent_gated_delta_rule``.  When a CUDA device is present, the
Triton kernel ``fused_recurrent_gated_delta_rule`` is run on the same inputs
and its distance from the naive reference is recorded per case.

Recurrence implemented by naive_recurrent_gated_delta_rule (as read from
fla-core 0.6.0, fla/ops/gated_delta_rule/naive.py), per batch b and head h,
with state S of shape [K, V] (row index = key dim, column index = value dim):

    S_0 = initial_state (or zeros)
    q_t <- q_t * scale                       (scale defaults to 1/sqrt(K);
                                              applied to q only, before the loop)
    for t in 0 .. T-1:
        S   <- S * exp(g_t)                   (scalar log-decay, applied FIRST)
        u_t  = beta_t * (v_t - S^T k_t)       (delta-rule residual, uses the
                                               already-decayed state)
        S   <- S + k_t u_t^T                  (rank-1 update, outer(k_t, u_t))
        o_t  = S^T q_t                        (read-out uses the UPDATED state;
                                               q_t already includes the scale)
    final_state = S

In the fla layout, q/k are [B, T, H, K], v is [B, T, H, V], beta/g are
[B, T, H], initial_state / final_state are [B, H, K, V] and o is [B, T, H, V].
The naive op transposes to [B, H, T, *] internally and computes in float32.
The fused Triton kernel (non-"state_v_first" layout) performs the same steps
in the same order: h *= exp(g); v = beta * (v - sum(h * k[:, None], 0));
h += k[:, None] * v; o = sum(h * (q*scale)[:, None], 0).

Inputs: q, k, v are drawn from a standard normal distribution; k is always
L2-normalised per token (over the K dimension), because that is how the gated
delta rule is used in practice (it keeps the state update contractive for
beta in (0, 1]).  q is NOT normalised.  beta is drawn in (0, 1) via a sigmoid
of a normal sample unless a case fixes it; g is the log-decay (g <= 0, decay
factor exp(g) in (0, 1]).

All cases use batch = 1, heads = 1, float32.  Inputs are generated on the CPU
with a per-case torch.Generator seed so that they are identical on any
machine.  The naive reference is always run on the CPU; the fused kernel, if
CUDA is available, on the GPU.

Output: fixtures/golden/gated_delta_rule.json (path relative to the repo
root; override with --out).  Every float is a float32 value written as
repr(float(x)), i.e. the exact double value of the float32, which
round-trips float32 exactly.  Layout:

  {"fla_version", "torch_version", "device", "reference",
   "cases": [{"name", "T", "K", "V", "scale",
              "q" [T*K, t-major], "k" [T*K], "v" [T*V], "beta" [T], "g" [T],
              "h0" [K*V, k-major] or null, "o" [T*V], "h_final" [K*V],
              "fused_max_rel_diff" float or null,
              "fused_max_abs_diff" float or null}]}

fused_max_abs_diff = max |fused - naive| over all elements of o and h_final;
fused_max_rel_diff = max over {o, h_final} of
                     max|fused - naive| / max|naive|   (norm-wise relative).

The script also checks the naive output against an independent float64
implementation of the recurrence stated above (printed, not stored), which
is how the description above was verified against the installed version.

Usage:
  python3 scripts/golden/generate_gated_delta_rule.py [--out PATH]
"""

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(REPO_ROOT, "fixtures", "golden", "gated_delta_rule.json")


# --------------------------------------------------------------------------
# Locating the fla ops
# --------------------------------------------------------------------------

def import_fused_bypassing_inits():
    """Import fused_recurrent.py without running fla/ops/__init__.py and
    fla/ops/gated_delta_rule/__init__.py (which import every other op and may
    fail for reasons unrelated to this kernel).  Empty package modules with
    the right __path__ are registered in their place."""
    import types
    spec = importlib.util.find_spec("fla")
    pkg_dir = list(spec.submodule_search_locations)[0]
    for name, sub in (("fla.ops", "ops"), ("fla.ops.gated_delta_rule", os.path.join("ops", "gated_delta_rule"))):
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        stub = types.ModuleType(name)
        stub.__path__ = [os.path.join(pkg_dir, sub)]
        sys.modules[name] = stub
    mod = importlib.import_module("fla.ops.gated_delta_rule.fused_recurrent")
    return mod.fused_recurrent_gated_delta_rule


def load_fla():
    """Return (fla_version, naive_fn, fused_fn_or_None, notes).

    The normal package import is tried first.  If importing the package fails
    (``import fla`` can pull in optional heavy dependencies in some
    versions), naive.py is loaded straight from its file, since it only needs
    torch and einops.  The fused op needs the package's Triton utilities, so
    it is only available through the normal import.
    """
    notes = []
    naive_fn = fused_fn = None
    version = None
    try:
        import fla  # noqa: F401
        version = getattr(fla, "__version__", None)
    except Exception as exc:  # pragma: no cover - depends on environment
        notes.append(f"import fla failed: {exc!r}")
    try:
        naive_mod = importlib.import_module("fla.ops.gated_delta_rule.naive")
        naive_fn = naive_mod.naive_recurrent_gated_delta_rule
    except Exception as exc:
        notes.append(f"package import of naive failed: {exc!r}; loading naive.py by path")
        spec = importlib.util.find_spec("fla")
        if spec is None or not spec.submodule_search_locations:
            raise
        pkg_dir = list(spec.submodule_search_locations)[0]
        path = os.path.join(pkg_dir, "ops", "gated_delta_rule", "naive.py")
        file_spec = importlib.util.spec_from_file_location("_fla_gdr_naive", path)
        mod = importlib.util.module_from_spec(file_spec)
        file_spec.loader.exec_module(mod)
        naive_fn = mod.naive_recurrent_gated_delta_rule
    try:
        fused_mod = importlib.import_module("fla.ops.gated_delta_rule.fused_recurrent")
        fused_fn = fused_mod.fused_recurrent_gated_delta_rule
    except Exception as exc:
        notes.append(f"package import of fused op failed: {exc!r}; retrying without package __init__s")
        try:
            fused_fn = import_fused_bypassing_inits()
        except Exception as exc2:
            notes.append(f"fused op unavailable: {exc2!r}")
    if version is None:
        for dist in ("fla-core", "flash-linear-attention"):
            try:
                version = importlib.metadata.version(dist)
                break
            except Exception:
                pass
    return version or "unknown", naive_fn, fused_fn, notes


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

# Each case: name, sizes, seed, how beta and g are drawn, whether an initial
# state is used, and an optional explicit scale (None -> 1/sqrt(K), which is
# also the op's default; the value used is always written to the JSON).
CASES = [
    dict(name="no_decay_small", T=16, K=8, V=4, seed=1001,
         beta="uniform01", g=("const", 0.0), h0=False, scale=None),
    dict(name="random_decay_with_h0", T=64, K=32, V=16, seed=1002,
         beta="uniform01", g=("uniform", -0.2, 0.0), h0=True, scale=None),
    dict(name="beta1_nodecay_k64_v64", T=32, K=64, V=64, seed=1003,
         beta="one", g=("const", 0.0), h0=False, scale=None),
    dict(name="strong_decay", T=48, K=16, V=8, seed=1004,
         beta="uniform01", g=("uniform", -2.0, -0.5), h0=False, scale=None),
    # Extra: sizes that are not powers of two, a non-default scale and an
    # initial state together (exercises masking in the fused kernel and the
    # scale plumbing in a port).
    dict(name="odd_sizes_custom_scale_h0", T=7, K=5, V=3, seed=1005,
         beta="uniform01", g=("uniform", -0.5, 0.0), h0=True, scale=0.5),
]


def make_inputs(case):
    """Build float32 CPU tensors in the fla layout ([B, T, H, *], B = H = 1)."""
    gen = torch.Generator(device="cpu").manual_seed(case["seed"])
    T, K, V = case["T"], case["K"], case["V"]
    B, H = 1, 1
    q = torch.randn(B, T, H, K, generator=gen, dtype=torch.float32)
    k = torch.randn(B, T, H, K, generator=gen, dtype=torch.float32)
    v = torch.randn(B, T, H, V, generator=gen, dtype=torch.float32)
    # k is L2-normalised per token in every case (standard usage).
    k = F.normalize(k, p=2.0, dim=-1)

    if case["beta"] == "uniform01":
        # sigmoid of a normal sample: strictly inside (0, 1).
        beta = torch.sigmoid(torch.randn(B, T, H, generator=gen, dtype=torch.float32))
    elif case["beta"] == "one":
        beta = torch.ones(B, T, H, dtype=torch.float32)
    else:
        raise ValueError(case["beta"])

    gspec = case["g"]
    if gspec[0] == "const":
        g = torch.full((B, T, H), float(gspec[1]), dtype=torch.float32)
    elif gspec[0] == "uniform":
        lo, hi = gspec[1], gspec[2]
        g = lo + (hi - lo) * torch.rand(B, T, H, generator=gen, dtype=torch.float32)
    else:
        raise ValueError(gspec)
    assert bool((g <= 0).all())

    h0 = None
    if case["h0"]:
        # Modest initial state, comparable in magnitude to a few updates.
        h0 = 0.5 * torch.randn(B, H, K, V, generator=gen, dtype=torch.float32)

    scale = case["scale"]
    if scale is None:
        scale = 1.0 / math.sqrt(K)
    # Round the scale to float32 so the JSON value is exactly what a float32
    # port would use (the op multiplies a float32 tensor by a Python float,
    # which PyTorch rounds to float32 for the multiply anyway).
    scale = float(torch.tensor(scale, dtype=torch.float32).item())
    return q, k, v, beta, g, h0, scale


# --------------------------------------------------------------------------
# Independent float64 check of the documented recurrence
# --------------------------------------------------------------------------

def recurrence_f64(q, k, v, beta, g, h0, scale):
    """The recurrence in the module docstring, in float64, for B = H = 1."""
    q = q[0, :, 0].double() * scale
    k = k[0, :, 0].double()
    v = v[0, :, 0].double()
    beta = beta[0, :, 0].double()
    g = g[0, :, 0].double()
    T, K = k.shape
    V = v.shape[1]
    S = torch.zeros(K, V, dtype=torch.float64) if h0 is None else h0[0, 0].double().clone()
    o = torch.zeros(T, V, dtype=torch.float64)
    for t in range(T):
        S = S * math.exp(float(g[t]))
        u = beta[t] * (v[t] - S.T @ k[t])
        S = S + torch.outer(k[t], u)
        o[t] = S.T @ q[t]
    return o, S


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def flat(x):
    """Flatten a float32 tensor (row-major) into a list of Python floats.

    repr(float(x)) of a float32 value is the shortest decimal of its exact
    double value; parsing it back and rounding to float32 gives x exactly.
    """
    x = x.detach().to("cpu", torch.float32).contiguous().reshape(-1)
    return [float(e) for e in x.tolist()]


def rel_diff(a, b):
    """max|a - b| / max|b| (norm-wise relative difference), plus max|a - b|."""
    a = a.detach().double().cpu()
    b = b.detach().double().cpu()
    abs_d = (a - b).abs().max().item()
    denom = b.abs().max().item()
    return (abs_d / denom if denom > 0 else abs_d), abs_d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output JSON path")
    args = ap.parse_args()

    torch.manual_seed(0)  # not relied on (per-case generators), fixed anyway
    version, naive_fn, fused_fn, notes = load_fla()
    for n in notes:
        print("note:", n, file=sys.stderr)

    use_cuda = torch.cuda.is_available() and fused_fn is not None
    if use_cuda:
        device_str = f"naive: cpu; fused: cuda ({torch.cuda.get_device_name(0)})"
    else:
        device_str = "naive: cpu; fused: not run (no CUDA)"

    out_cases = []
    worst_rel = 0.0
    for case in CASES:
        q, k, v, beta, g, h0, scale = make_inputs(case)
        T, K, V = case["T"], case["K"], case["V"]

        # Reference.  Keyword arguments so the (beta, g) order cannot be
        # mixed up; initial_state=None means a zero state.
        o, h_final = naive_fn(
            q=q, k=k, v=v, beta=beta, g=g, scale=scale,
            initial_state=None if h0 is None else h0.clone(),
            output_final_state=True,
        )
        assert o.shape == (1, T, 1, V), o.shape
        assert h_final.shape == (1, 1, K, V), h_final.shape
        assert o.dtype == torch.float32 and h_final.dtype == torch.float32
        assert torch.isfinite(o).all() and torch.isfinite(h_final).all()

        # Check against the stated recurrence in float64.
        o64, h64 = recurrence_f64(q, k, v, beta, g, h0, scale)
        r_o, a_o = rel_diff(o[0, :, 0], o64)
        r_h, a_h = rel_diff(h_final[0, 0], h64)
        print(f"[{case['name']}] naive vs float64 recurrence: "
              f"o rel {r_o:.3e} (abs {a_o:.3e}), h rel {r_h:.3e} (abs {a_h:.3e})")
        if max(r_o, r_h) > 1e-4:
            raise SystemExit(f"naive op disagrees with the documented recurrence in {case['name']}")

        fused_rel = fused_abs = None
        if use_cuda:
            dev = torch.device("cuda")
            fo, fh = fused_fn(
                q=q.to(dev), k=k.to(dev), v=v.to(dev), g=g.to(dev), beta=beta.to(dev),
                scale=scale,
                initial_state=None if h0 is None else h0.to(dev).clone(),
                output_final_state=True,
            )
            torch.cuda.synchronize()
            r1, a1 = rel_diff(fo, o)
            r2, a2 = rel_diff(fh, h_final)
            fused_rel, fused_abs = max(r1, r2), max(a1, a2)
            worst_rel = max(worst_rel, fused_rel)
            print(f"[{case['name']}] fused vs naive: o rel {r1:.3e} (abs {a1:.3e}), "
                  f"h rel {r2:.3e} (abs {a2:.3e})")

        out_cases.append({
            "name": case["name"],
            "T": T, "K": K, "V": V,
            "scale": scale,
            "q": flat(q[0, :, 0]),          # [T, K]
            "k": flat(k[0, :, 0]),          # [T, K]
            "v": flat(v[0, :, 0]),          # [T, V]
            "beta": flat(beta[0, :, 0]),    # [T]
            "g": flat(g[0, :, 0]),          # [T]
            "h0": None if h0 is None else flat(h0[0, 0]),  # [K, V]
            "o": flat(o[0, :, 0]),          # [T, V]
            "h_final": flat(h_final[0, 0]),  # [K, V]
            "fused_max_rel_diff": fused_rel,
            "fused_max_abs_diff": fused_abs,
        })

    doc = {
        "fla_version": version,
        "torch_version": torch.__version__,
        "device": device_str,
        "reference": "naive_recurrent_gated_delta_rule",
        "cases": out_cases,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    # json.dumps writes floats with float.__repr__, i.e. repr(float(x)).
    text = json.dumps(doc, separators=(",", ":"))
    # One case per line keeps diffs readable without inflating the size.
    text = text.replace(',{"name":', ',\n{"name":').replace('"cases":[{', '"cases":[\n{')
    with open(args.out, "w") as f:
        f.write(text + "\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes), fla {version}, "
          f"torch {torch.__version__}, {device_str}")
    if use_cuda:
        print(f"worst fused vs naive rel diff: {worst_rel:.3e}")


if __name__ == "__main__":
    main()
