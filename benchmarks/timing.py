"""The timing loop the newer benchmarks share: warm up, then the best of `rounds` rounds of `repeats` calls."""
import time
import torch


def best_time(step, device: torch.device, repeats: int, warmup: int = 10, rounds: int = 5) -> float:
    "Seconds per call of `step()`: the best round's mean (CUDA synchronised before each clock read)."
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup): step()
    sync()
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(repeats): step()
        sync()
        best = min(best, (time.perf_counter() - t) / repeats)
    return best
