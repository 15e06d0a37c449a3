"""The web workload's service time: one request through a small model's inference.

A request is a JSON payload as a front end would receive it; the handler parses it, runs
the model at batch 1 in eval / inference mode and serialises the answer, so the time
includes the per-request overheads a real handler pays, not only the forward pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import torch

from fedsim.calibration.models import hyperparameters, seeded_model


def make_request(name: str, size: str, gen: torch.Generator) -> str:
    """One synthetic request body for ``name``'s handler."""
    if name == "mlp_recommender":
        cfg = hyperparameters(name, size)
        body = {
            "dense": torch.randn(cfg["dense"], generator=gen).tolist(),
            "sparse": torch.randint(cfg["rows"], (cfg["tables"],), generator=gen).tolist(),
        }
    elif name == "transformer_encoder":
        cfg = hyperparameters(name, size)
        body = {"tokens": torch.randint(cfg["vocab"], (cfg["seq"],), generator=gen).tolist()}
    else:
        raise KeyError(f"no web handler for {name}")
    return json.dumps(body)


def make_handler(name: str, size: str, device: torch.device, seed: int) -> Callable[[], object]:
    """A zero-argument callable serving one fixed request end to end (parse → infer → JSON)."""
    gen = torch.Generator().manual_seed(seed)
    model = seeded_model(name, size, seed).to(device).eval()
    payload = make_request(name, size, gen)

    def handle() -> object:
        body = json.loads(payload)
        with torch.inference_mode():
            if name == "mlp_recommender":
                dense = torch.tensor([body["dense"]], dtype=torch.float32, device=device)
                sparse = torch.tensor([body["sparse"]], dtype=torch.long, device=device)
                score = torch.sigmoid(model(dense, sparse))[0].item()
                answer: dict[str, object] = {"click_probability": score}
            else:
                tokens = torch.tensor([body["tokens"]], dtype=torch.long, device=device)
                probs = torch.softmax(model(tokens)[0], dim=0)
                answer = {"label": int(probs.argmax().item()), "p": float(probs.max().item())}
        # .item() above synchronises a GPU, so the timed interval covers the whole request
        return json.dumps(answer)

    return handle
