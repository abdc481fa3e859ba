"""DSRL's costs on this machine: decoding a chunk (one env's decision, and a batch of envs), decoding AW-MLE's M x B candidates
in one call against a loop over the M candidates, a DSRL-SAC update (critic + actor + target) at the seed's sizes, and the
macro buffer's sampling of a UTD block against one draw per critic step.

    python benchmarks/dsrl_decode.py [--device cpu|cuda] [--threads N]
"""
import argparse, time
import torch
from rlnb.data.macro import MacroReplayBuffer
from rlnb.policies.flow import FlowPolicy
from rlnb.policies.networks import QEnsemble, TanhGaussianActor


def timed(fn, reps, device):
    fn()  # warm-up
    if device.type == "cuda": torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps): fn()
    if device.type == "cuda": torch.cuda.synchronize()
    return (time.perf_counter() - t) / reps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu"); ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--obs", type=int, default=17); ap.add_argument("--act", type=int, default=4)
    ap.add_argument("--pred", type=int, default=16); ap.add_argument("--exec", type=int, default=8)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    torch.manual_seed(0)
    pol = FlowPolicy(a.obs, a.act, a.pred, a.exec, 256, 3).to(dev).eval().requires_grad_(False)
    L = pol.latent_dim
    print(f"device {dev}, threads {torch.get_num_threads()}, obs {a.obs}, action {a.act}, chunk {a.pred}/{a.exec}, latent {L}, "
          f"flow 3x256, 8 Euler steps")
    for b in (1, 64, 256):
        o, w = torch.randn(b, a.obs, device=dev), torch.randn(b, L, device=dev)
        s = timed(lambda: pol.sample(o, w, 8), 50 if b < 256 else 20, dev)
        print(f"decode {b:4d} chunk(s) in one call: {s * 1e3:8.3f} ms  ({s / b * 1e6:8.1f} us per chunk)")
    B, M = 256, 32
    o, w = torch.randn(B, a.obs, device=dev), torch.randn(B, M, L, device=dev)
    ob = o[:, None].expand(B, M, a.obs).reshape(B * M, -1)
    batched = timed(lambda: pol.sample(ob, w.reshape(B * M, L), 8), 3, dev)
    loop = timed(lambda: [pol.sample(o, w[:, m], 8) for m in range(M)], 3, dev)
    print(f"AW-MLE candidates M x B = {M} x {B}: one batched call {batched * 1e3:8.1f} ms, a loop over M {loop * 1e3:8.1f} ms "
          f"({loop / batched:.2f}x)")
    # one DSRL-SAC step at the seed's sizes: critic (2 x 3x256) on (s, w), target with w' ~ pi, actor + alpha
    actor = TanhGaussianActor(a.obs, L, 256, 3).to(dev)
    q = QEnsemble(a.obs, L, 256, 3, 2, layer_norm=True).to(dev); qt = QEnsemble(a.obs, L, 256, 3, 2, layer_norm=True).to(dev)
    qt.load_state_dict(q.state_dict()); qt.requires_grad_(False)
    la = torch.zeros((), device=dev, requires_grad=True)
    oq = torch.optim.Adam(q.parameters(), 3e-4); oa = torch.optim.Adam(list(actor.parameters()) + [la], 1e-4)
    buf = MacroReplayBuffer(100_000, a.obs, L, a.exec * a.act, dev)
    n = 50_000
    buf.add(torch.randn(n, a.obs), torch.rand(n, L) * 2 - 1, torch.rand(n), torch.randn(n, a.obs), torch.zeros(n, dtype=torch.bool),
            torch.zeros(n, dtype=torch.bool), torch.full((n,), 0.99 ** 8), torch.rand(n, a.exec * a.act))
    g = torch.Generator(dev).manual_seed(0)

    def update():
        b = buf.sample(256, g)
        with torch.no_grad():
            w2, lp2 = actor.sample(b["next_obs"], g)
            y = b["rewards"] + b["discount"] * (1 - b["terminated"].float()) * (qt(b["next_obs"], w2).min(0).values - la.exp() * lp2)
        lq = ((q(b["obs"], b["actions"]) - y) ** 2).mean(1).sum()
        oq.zero_grad(); lq.backward(); oq.step()
        q.requires_grad_(False)
        w1, lp = actor.sample(b["obs"], g)
        la_ = (la.exp() * (-lp.detach() + 0.5 * L)).mean()
        loss = (la.exp().detach() * lp - q(b["obs"], w1).min(0).values).mean() + la_
        oa.zero_grad(); loss.backward(); oa.step(); q.requires_grad_(True)
        with torch.no_grad(): torch._foreach_lerp_(list(qt.parameters()), list(q.parameters()), 0.005)
    u = timed(update, 30, dev)
    print(f"one DSRL-SAC update (batch 256): {u * 1e3:8.2f} ms; UTD 20 = {20 * u * 1e3:8.1f} ms per macro step, against decoding one "
          f"chunk per env for 1 env: {timed(lambda: pol.sample(o[:1], w[:1, 0], 8), 50, dev) * 1e3:.3f} ms")
    blk = timed(lambda: buf.sample(256, g, blocks=20), 30, dev)
    one = timed(lambda: [buf.sample(256, g) for _ in range(20)], 30, dev)
    print(f"macro buffer, 20 batches of 256 (a UTD-20 block): one draw {blk * 1e3:8.3f} ms, 20 draws {one * 1e3:8.3f} ms ({one / blk:.2f}x)")


if __name__ == "__main__":
    main()
