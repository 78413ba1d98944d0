#!/usr/bin/python3
# The training step of `agentft bench` in PyTorch: the same GPT-2 layout
# model, sizes, batch, heads, dropout and AdamW, timed the same way, so the
# two can be run side by side. Prints figures only (not part of make check).
# Usage: torch_step.py [--size tiny,small,base|all] [--steps N] [--threads N] [--json]
import argparse
import json
import math
import os
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIONS = 16
INFER_T = 64
GEMM_N = 2048
# name: d, L, H, T, B, V, max_seq, steps, warm-up, batch-1 runs, batch-32 runs (as in bench_measure.c)
SIZES = {
    "tiny": (128, 2, 4, 64, 16, 4096, 64, 20, 3, 20, 5),
    "small": (256, 4, 4, 128, 8, 8192, 128, 10, 2, 20, 5),
    "base": (768, 12, 12, 128, 4, 50257, 1024, 3, 1, 10, 3),
}


class Conv1D(nn.Module):
    """Hugging Face GPT-2's projection: weight (in, out), y = x @ W + b."""

    def __init__(self, n_in, n_out, std):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * std)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class Block(nn.Module):
    def __init__(self, d, n_head, n_layer, p):
        super().__init__()
        proj_std = 0.02 / math.sqrt(2 * n_layer)
        self.n_head, self.p = n_head, p
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn, self.attn_proj = Conv1D(d, 3 * d, 0.02), Conv1D(d, d, proj_std)
        self.c_fc, self.mlp_proj = Conv1D(d, 4 * d, 0.02), Conv1D(4 * d, d, proj_std)

    def attention(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=-1)
        q, k, v = (z.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.n_head))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = F.dropout(att.masked_fill(~mask, float("-inf")).softmax(dim=-1), self.p, self.training)
        return self.attn_proj((att @ v).transpose(1, 2).reshape(B, T, C))

    def forward(self, x):
        x = x + F.dropout(self.attention(self.ln_1(x)), self.p, self.training)
        h = self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x + F.dropout(h, self.p, self.training)


class Model(nn.Module):
    def __init__(self, d, L, H, V, max_seq, p=0.1):
        super().__init__()
        self.p = p
        self.wte = nn.Parameter(torch.randn(V, d) * 0.02)
        self.wpe = nn.Parameter(torch.randn(max_seq, d) * 0.02)
        self.h = nn.ModuleList(Block(d, H, L, p) for _ in range(L))
        self.ln_f = nn.LayerNorm(d)
        self.score = nn.Linear(d, ACTIONS)

    def forward(self, tokens, lengths, labels=None, targets=None):
        B, T = tokens.shape
        x = F.dropout(self.wte[tokens] + self.wpe[:T], self.p, self.training)
        for blk in self.h:
            x = blk(x)
        x = self.ln_f(x)
        act = self.score(x[torch.arange(B), lengths - 1])
        if labels is None:
            return act
        lm = x @ self.wte.t()
        return (F.cross_entropy(act, labels, ignore_index=-1) +
                F.cross_entropy(lm.view(B * T, -1), targets.view(-1), ignore_index=-1))


def adamw(model):
    """Decay on matrices except the position embeddings, as agentft's table says."""
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and n != "wpe"]
    rest = [p for n, p in model.named_parameters() if not (p.dim() == 2 and n != "wpe")]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                              {"params": rest, "weight_decay": 0.0}], lr=1e-4, eps=1e-8)


def nonembedding(d, L):
    return L * (12 * d * d + 13 * d) + 2 * d


def train_flops(d, L, T, B, V):
    return B * T * (6 * nonembedding(d, L) + 12 * L * T * d + 6 * V * d)


def infer_flops(d, L, T, B):
    return B * T * (2 * nonembedding(d, L) + 4 * L * T * d)


def matmul_peak(n=GEMM_N, runs=5):
    a, b = torch.rand(n, n) - 0.5, torch.rand(n, n) - 0.5
    torch.mm(a, b)
    best = 0.0
    for _ in range(runs):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2.0 * n ** 3 / (time.perf_counter() - t0) * 1e-9)
    return best


def timed(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def bench_size(name, steps_override):
    d, L, H, T, B, V, max_seq, steps, warmup, runs1, runs32 = SIZES[name]
    steps = steps_override or steps
    torch.manual_seed(42)
    model = Model(d, L, H, V, max_seq)
    opt = adamw(model)
    tokens = torch.randint(0, V, (B, T))
    lengths = torch.full((B,), T, dtype=torch.long)
    labels = torch.randint(0, ACTIONS, (B,))
    targets = torch.cat([tokens[:, 1:], torch.full((B, 1), -1, dtype=torch.long)], dim=1)

    def step():
        opt.zero_grad(set_to_none=False)
        model(tokens, lengths, labels, targets).backward()
        opt.step()

    model.train()
    step_ms = timed(step, warmup, steps)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    model.eval()
    res = {"size": name, "steps": steps, "warmup": warmup, "step_ms": step_ms,
           "params": sum(p.numel() for p in model.parameters()),
           "params_nonembedding": nonembedding(d, L), "flop_per_step": train_flops(d, L, T, B, V)}
    with torch.no_grad():
        for b, runs, key in ((1, runs1, "infer_b1_ms"), (32, runs32, "infer_b32_ms")):
            tk = torch.randint(0, V, (b, INFER_T))
            ln = torch.full((b,), INFER_T, dtype=torch.long)
            res[key] = timed(lambda: model(tk, ln), 1, runs)
    res["tokens_per_s"] = B * T / (step_ms * 1e-3)
    res["gflops"] = res["flop_per_step"] / (step_ms * 1e-3) * 1e-9
    res["infer_b32_seq_per_s"] = 32 / (res["infer_b32_ms"] * 1e-3)
    res["infer_b32_gflops"] = infer_flops(d, L, INFER_T, 32) / (res["infer_b32_ms"] * 1e-3) * 1e-9
    res["peak_rss_process"] = rss
    return res


def print_size(r):
    d, L, H, T, B, V = SIZES[r["size"]][:6]
    print("\n%-9s d=%d L=%d H=%d T=%d B=%d V=%d, %d actions, %.2fM parameters (N = %.2fM)"
          % (r["size"], d, L, H, T, B, V, ACTIONS, r["params"] * 1e-6, r["params_nonembedding"] * 1e-6))
    print("  train   %.2f ms/step (median of %d after %d warm-up; AdamW, dropout 0.1, action + LM heads)"
          % (r["step_ms"], r["steps"], r["warmup"]))
    print("          %.0f tokens/s, %.1f GFLOP/s (%.2f GFLOP a step)"
          % (r["tokens_per_s"], r["gflops"], r["flop_per_step"] * 1e-9))
    print("  infer   batch 1 x %d tokens: %.2f ms; batch 32: %.1f sequences/s (%.1f GFLOP/s)"
          % (INFER_T, r["infer_b1_ms"], r["infer_b32_seq_per_s"], r["infer_b32_gflops"]))
    print("  memory  peak RSS of the process so far %.1f MB" % (r["peak_rss_process"] / 2 ** 20))


def print_summary(out):
    print("\nmatmul again at the end: %.1f GFLOP/s; MFU is against the better, %.1f GFLOP/s"
          % (out["matmul"]["gflops_end"], out["matmul"]["gflops"]))
    print("%-6s %9s %9s %8s %6s %8s %10s" % ("size", "ms/step", "tokens/s", "GFLOP/s", "MFU", "b1 ms", "b32 seq/s"))
    for r in out["sizes"]:
        print("%-6s %9.2f %9.0f %8.1f %5.1f%% %8.2f %10.1f" % (r["size"], r["step_ms"], r["tokens_per_s"],
              r["gflops"], 100 * r["mfu"], r["infer_b1_ms"], r["infer_b32_seq_per_s"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", default="all")
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    names = list(SIZES) if a.size == "all" else a.size.split(",")
    for n in names:
        if n not in SIZES:
            ap.error("unknown size %r (tiny, small, base or all)" % n)
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    peak = matmul_peak()
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(),
           "matmul": {"n": GEMM_N, "gflops_start": peak},
           "flop_formula": "train: B*T*(6*N + 12*L*T*d + 6*V*d); infer: B*T*(2*N + 4*L*T*d); "
                           "N = L*(12*d^2 + 13*d) + 2*d", "sizes": []}
    if not a.json:
        print("torch     %s, %d threads" % (torch.__version__, out["threads"]))
        print("matmul    %d^3 single precision, best of 5: %.1f GFLOP/s" % (GEMM_N, peak))
        print("FLOPs     training step = B*T * (6*N + 12*L*T*d + 6*V*d), N = L*(12*d^2 + 13*d) + 2*d")
    for n in names:
        r = bench_size(n, a.steps)
        out["sizes"].append(r)
        if not a.json:
            print_size(r)
    # As agentft bench: the better of the peaks at the start and the end.
    out["matmul"]["gflops_end"] = matmul_peak()
    best = max(out["matmul"]["gflops_start"], out["matmul"]["gflops_end"])
    out["matmul"]["gflops"] = best
    for r in out["sizes"]:
        r["mfu"] = r["gflops"] / best if best > 0 else 0.0
    if a.json:
        print(json.dumps(out))
    else:
        print_summary(out)


if __name__ == "__main__":
    main()
