#!/usr/bin/python3
# PyTorch cross-check of agentft's model: rebuilds the GPT-2 layout model in
# plain torch (float64), loads the parameters and batch written by
# tests/torch_ref_driver, and compares losses, logits, every gradient and one
# AdamW step. Usage: torch_reference.py DIR. Exit 0 when all agree, 1 if not.
import json
import math
import struct
import sys

import numpy
import torch
import torch.nn.functional as F

# Max relative error allowed (losses, logits, gradients, the AdamW update).
# Elementwise errors are relative to max(|x|, FLOOR_REL * max|tensor|,
# FLOOR_ABS): float32 sums of terms of the tensor's scale leave errors of
# ~1e-7 of that scale, so entries near zero are measured against the scale.
TOL = 1e-4
FLOOR_REL = 1e-2
FLOOR_ABS = 1e-7
PROJS = ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")


def read_safetensors(path):
    """The tensors (as float64 or int64 torch tensors) and metadata of a file."""
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    base = 8 + hlen
    meta = header.pop("__metadata__", {}) or {}
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        buf = bytearray(raw[base + start:base + end])
        kind = {"F32": torch.float32, "I32": torch.int32}[info["dtype"]]
        t = torch.frombuffer(buf, dtype=kind) if buf else torch.empty(0, dtype=kind)
        t = t.reshape(info["shape"])
        out[name] = t.double() if kind == torch.float32 else t.long()
    return out, meta


class Config:
    def __init__(self, meta):
        for key in ("n_layer", "n_head", "d_model", "max_seq", "vocab_size", "n_actions",
                    "lora_rank"):
            setattr(self, key, int(meta[key]))
        for key in ("lora_alpha", "lr", "weight_decay", "beta1", "beta2", "eps", "cls_weight",
                    "lm_weight"):
            setattr(self, key, float(meta[key]))


def trainable(cfg, name):
    """Which tensors train: everything, or with LoRA only the adapters and the head."""
    if cfg.lora_rank > 0:
        return ".lora_" in name or name.startswith("score.")
    return True


def decays(name, shape):
    """AdamW's decay group: matrices, except the position embeddings."""
    return len(shape) == 2 and name != "transformer.wpe.weight"


def projection(cfg, p, prefix, x):
    """A Conv1D projection y = x @ W + b, plus LoRA scale * (x @ A^T) @ B^T."""
    y = x @ p[prefix + ".weight"] + p[prefix + ".bias"]
    if cfg.lora_rank > 0:
        a, b = p[prefix + ".lora_A.weight"], p[prefix + ".lora_B.weight"]
        y = y + (cfg.lora_alpha / cfg.lora_rank) * ((x @ a.t()) @ b.t())
    return y


def attention(cfg, p, pre, x):
    B, T, C = x.shape
    H = cfg.n_head
    hd = C // H
    q, k, v = projection(cfg, p, pre + "attn.c_attn", x).split(C, dim=-1)
    q, k, v = (z.view(B, T, H, hd).transpose(1, 2) for z in (q, k, v))
    att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
    y = (att @ v).transpose(1, 2).reshape(B, T, C)
    return projection(cfg, p, pre + "attn.c_proj", y)


def block(cfg, p, l, x):
    pre = "transformer.h.%d." % l
    ln = lambda z, n: F.layer_norm(z, (z.shape[-1],), p[pre + n + ".weight"], p[pre + n + ".bias"], 1e-5)
    x = x + attention(cfg, p, pre, ln(x, "ln_1"))
    h = F.gelu(projection(cfg, p, pre + "mlp.c_fc", ln(x, "ln_2")), approximate="tanh")
    return x + projection(cfg, p, pre + "mlp.c_proj", h)


def forward(cfg, p, batch):
    tokens, lengths = batch["tokens"], batch["lengths"]
    B, T = tokens.shape
    x = p["transformer.wte.weight"][tokens] + p["transformer.wpe.weight"][:T].unsqueeze(0)
    for l in range(cfg.n_layer):
        x = block(cfg, p, l, x)
    x = F.layer_norm(x, (x.shape[-1],), p["transformer.ln_f.weight"], p["transformer.ln_f.bias"], 1e-5)
    lm_logits = x @ p["transformer.wte.weight"].t()
    last = x[torch.arange(B), lengths - 1]
    act_logits = last @ p["score.weight"].t() + p["score.bias"]
    cls = F.cross_entropy(act_logits, batch["labels"], ignore_index=-1)
    lm = F.cross_entropy(lm_logits.reshape(B * T, -1), batch["lm_targets"].reshape(-1), ignore_index=-1)
    loss = cfg.cls_weight * cls + cfg.lm_weight * lm
    return loss, cls, lm, act_logits, lm_logits


def rel_error(ours, ref):
    """Max elementwise |ours - ref| / max(|ref|, floor), floor from the tensor's scale."""
    ours, ref = ours.double(), ref.double()
    if ref.numel() == 0:
        return 0.0
    floor = max(FLOOR_REL * ref.abs().max().item(), FLOOR_ABS)
    return ((ours - ref).abs() / ref.abs().clamp(min=floor)).max().item()


class Report:
    def __init__(self):
        self.failed = []

    def check(self, what, err, limit=TOL):
        if not (err <= limit):
            self.failed.append("%s: %.3g > %.0e" % (what, err, limit))
        return err


def compare_outputs(rep, cfg, out, loss, cls, lm, act, lml):
    for name, ref in (("loss", loss), ("cls_loss", cls), ("lm_loss", lm)):
        e = rep.check(name, rel_error(out[name].reshape(()), ref.detach()))
        print("  %-14s ours %.7f  torch %.7f  rel err %.2e" % (name, out[name].item(), ref.item(), e))
    e = rep.check("action_logits", rel_error(out["action_logits"], act.detach()))
    print("  %-14s max rel err %.2e" % ("action logits", e))
    if "lm_logits" in out:
        e = rep.check("lm_logits", rel_error(out["lm_logits"], lml.detach()))
        print("  %-14s max rel err %.2e" % ("LM logits", e))
    else:
        print("  LM logits      not written (aft_model_lm_logits gave NULL)")


def compare_grads(rep, cfg, params, leaves, out):
    worst, worst_name, n, frozen_bad = 0.0, "", 0, []
    for name in params:
        ours = out["grad." + name]
        if name in leaves:
            n += 1
            e = rel_error(ours, leaves[name].grad)
            if e > worst or not worst_name:
                worst, worst_name = e, name
            rep.check("grad " + name, e)
        elif ours.abs().max().item() != 0:
            frozen_bad.append(name)
    print("  gradients      %d tensors, worst %s: max rel err %.2e (limit %.0e)"
          % (n, worst_name, worst, TOL))
    if cfg.lora_rank > 0:
        print("  frozen tensors %d, gradient zero: %s" % (len(params) - n, "yes" if not frozen_bad else
                                                         "NO (" + ", ".join(frozen_bad[:3]) + ")"))
    for name in frozen_bad:
        rep.failed.append("frozen tensor %s has a gradient" % name)


def ulp32(x):
    """The spacing of float32 numbers at |x|."""
    return torch.from_numpy(numpy.spacing(x.abs().float().numpy())).double()


def compare_adamw(rep, cfg, params, out, updated):
    """One torch AdamW step from our gradients, in float64, against our update."""
    names = [n for n in params if trainable(cfg, n)]
    ref = {n: params[n].clone().requires_grad_(True) for n in names}
    for n in names:
        ref[n].grad = out["grad." + n].clone()
    groups = [{"params": [ref[n] for n in names if decays(n, params[n].shape)], "weight_decay": cfg.weight_decay},
              {"params": [ref[n] for n in names if not decays(n, params[n].shape)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps)
    opt.step()
    worst, worst_name, moved = 0.0, "", []
    for n in params:
        if n not in ref:
            if not torch.equal(updated[n], params[n]):
                moved.append(n)
            continue
        # Allow one float32 rounding of the parameter; the rest is measured against lr.
        diff = ((updated[n] - ref[n].detach()).abs() - ulp32(ref[n].detach())).clamp(min=0)
        e = diff.max().item() / cfg.lr
        rep.check("AdamW " + n, e)
        if e > worst or not worst_name:
            worst, worst_name = e, n
    print("  AdamW step     %d tensors, worst %s: error %.2e of lr (limit %.0e)" % (len(ref), worst_name, worst, TOL))
    for n in moved:
        rep.failed.append("frozen tensor %s changed in the AdamW step" % n)


def main():
    if len(sys.argv) != 2:
        print("usage: torch_reference.py DIR", file=sys.stderr)
        return 2
    d = sys.argv[1]
    torch.manual_seed(0)
    params, meta = read_safetensors(d + "/params.safetensors")
    batch, _ = read_safetensors(d + "/batch.safetensors")
    out, _ = read_safetensors(d + "/outputs.safetensors")
    updated, _ = read_safetensors(d + "/updated.safetensors")
    cfg = Config(meta)
    print("torch %s reference, LoRA %s: L=%d d=%d H=%d T=%d B=%d V=%d A=%d"
          % (torch.__version__, "rank %d" % cfg.lora_rank if cfg.lora_rank else "off", cfg.n_layer,
             cfg.d_model, cfg.n_head, batch["tokens"].shape[1], batch["tokens"].shape[0],
             cfg.vocab_size, cfg.n_actions))
    leaves = {n: t.clone().requires_grad_(True) for n, t in params.items() if trainable(cfg, n)}
    p = {n: leaves.get(n, t) for n, t in params.items()}
    loss, cls, lm, act, lml = forward(cfg, p, batch)
    loss.backward()
    rep = Report()
    compare_outputs(rep, cfg, out, loss, cls, lm, act, lml)
    compare_grads(rep, cfg, params, leaves, out)
    compare_adamw(rep, cfg, params, out, updated)
    if rep.failed:
        print("FAIL: %d mismatches; first: %s" % (len(rep.failed), "; ".join(rep.failed[:5])))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
