"""PyTorch CPU beside Pathlight (scripts/bench-torch.ts): the same canonical weights, the same inputs, the same thread count.

  /usr/bin/python3 scripts/bench_torch.py DIR THREADS REPS

DIR holds `weights.safetensors` (Pathlight's canonical layout: qkv [D, (H+2K)·dh], in/out [in, out]), `config.json`
(the canonical ModelConfig) and `inputs.json`. This is an implementation of its own, written from the architectures'
definitions (GPT-2: sequential residual, tanh GELU; GPT-NeoX: parallel residual, erf GELU, rotate-half rotary on the
first rotaryDim features). Prints one JSON object: times in ms (medians), and the values compared with Pathlight's.
"""
import json, math, struct, sys, time
import torch

DTYPES = {"F32": torch.float32}


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + a : base + b]), dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]) if info["shape"] else t
    return out


class Model:
    def __init__(self, cfg, w):
        self.c, self.w = cfg, w
        self.H, self.K, self.dh = cfg["nHead"], cfg["nKvHead"], cfg["dHead"]
        rd = cfg.get("rotaryDim") or 0
        if cfg["positions"] == "rotary":
            inv = 1.0 / (cfg["rotaryBase"] ** (torch.arange(0, rd, 2, dtype=torch.float32) / rd))
            ang = torch.arange(cfg["nCtx"], dtype=torch.float32)[:, None] * inv[None, :]
            self.cos = torch.cat([ang.cos(), ang.cos()], -1)
            self.sin = torch.cat([ang.sin(), ang.sin()], -1)
        self.rd = rd

    def ln(self, x, p):
        return torch.nn.functional.layer_norm(x, (x.shape[-1],), self.w[p + ".weight"], self.w.get(p + ".bias"), self.c["layerNormEps"])

    def lin(self, x, p):
        y = x @ self.w[p + ".weight"]
        b = self.w.get(p + ".bias")
        return y + b if b is not None else y

    def act(self, x):
        return torch.nn.functional.gelu(x, approximate="tanh" if self.c["activation"] == "gelu_new" else "none")

    def rotary(self, x, start):  # x [B, T, h, dh]
        T, rd = x.shape[1], self.rd
        cos, sin = self.cos[start : start + T][None, :, None, :], self.sin[start : start + T][None, :, None, :]
        r, rest = x[..., :rd], x[..., rd:]
        r1, r2 = r[..., : rd // 2], r[..., rd // 2 :]
        return torch.cat([r * cos + torch.cat([-r2, r1], -1) * sin, rest], -1)

    def attn(self, l, x, cache, start):
        B, T, _ = x.shape
        H, K, dh = self.H, self.K, self.dh
        qkv = self.lin(x, f"blocks.{l}.attn.qkv")
        q = qkv[..., : H * dh].reshape(B, T, H, dh)
        k = qkv[..., H * dh : (H + K) * dh].reshape(B, T, K, dh)
        v = qkv[..., (H + K) * dh :].reshape(B, T, K, dh)
        if self.rd:
            q, k = self.rotary(q, start), self.rotary(k, start)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        if cache is not None:
            if l in cache:
                k = torch.cat([cache[l][0], k], 2)
                v = torch.cat([cache[l][1], v], 2)
            cache[l] = (k, v)
        S = k.shape[2]
        s = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
        s = s.masked_fill(~mask, float("-inf"))
        z = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H * dh)
        return self.lin(z, f"blocks.{l}.attn.o")

    def mlp(self, l, x, taps):
        h = self.act(self.lin(x, f"blocks.{l}.mlp.in"))
        if taps is not None:
            taps.append(h)
        return self.lin(h, f"blocks.{l}.mlp.out")

    def forward(self, ids, cache=None, start=0, taps=None):
        c = self.c
        x = self.w["embed"][ids]
        if taps is not None:
            x.requires_grad_(True)  # a graph to differentiate; torch.autograd.grad runs only the part down to the taps
        if c["positions"] == "learned":
            x = x + self.w["pos"][start : start + ids.shape[1]]
        for l in range(c["nLayer"]):
            if c["parallelResidual"]:
                x = x + self.attn(l, self.ln(x, f"blocks.{l}.ln1"), cache, start) + self.mlp(l, self.ln(x, f"blocks.{l}.ln2"), taps)
            else:
                x = x + self.attn(l, self.ln(x, f"blocks.{l}.ln1"), cache, start)
                x = x + self.mlp(l, self.ln(x, f"blocks.{l}.ln2"), taps)
        return self.ln(x, "lnFinal")

    def unembed_rows(self, rows):
        return rows @ self.w.get("unembed", self.w["embed"]).T


def median_ms(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    return sorted(ts)[len(ts) // 2]


def main():
    d, threads, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    cfg = json.load(open(f"{d}/config.json"))
    inp = json.load(open(f"{d}/inputs.json"))
    m = Model(cfg, read_safetensors(f"{d}/weights.safetensors"))
    ids = torch.tensor([inp["ids"]])
    target = inp["target"]
    gen_prompt = torch.tensor([inp["genPrompt"]])
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}

    def forward():
        with torch.no_grad():
            return m.unembed_rows(m.forward(ids)[:, -1])

    def gradient():
        taps = []
        value = m.unembed_rows(m.forward(ids, taps=taps)[:, -1])[0, target]
        return torch.autograd.grad(value, taps)

    def generate():
        with torch.no_grad():
            cache = {}
            seq = gen_prompt[0].tolist()
            x = gen_prompt
            start = 0
            for _ in range(inp["genTokens"]):
                logits = m.unembed_rows(m.forward(x, cache, start)[:, -1])
                start += x.shape[1]
                nxt = int(logits[0].argmax())
                seq.append(nxt)
                x = torch.tensor([[nxt]])
            return seq[gen_prompt.shape[1] :]

    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    out["matmul2048_ms"] = median_ms(lambda: a @ b, reps)
    out["forward_ms"] = median_ms(forward, reps)
    out["gradient_ms"] = median_ms(gradient, reps)
    out["generate_ms"] = median_ms(generate, max(1, reps // 2))
    out["last_logits"] = forward()[0, :64].tolist()
    out["grad_layer0"] = gradient()[0][0, -1, :64].tolist()
    out["generated"] = generate()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
