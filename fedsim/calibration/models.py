"""Built-in benchmark models, written with ``torch.nn`` (nothing is downloaded).

Each model comes in two sizes: ``full`` (the shipped profile; small published
architectures such as ResNet-20 for CIFAR and the PTB "small" LSTM) and ``tiny`` (for
``--quick`` and the tests). A :class:`Workload` bundles a model with a synthetic batch
(data loading is deliberately not timed), its loss and its optimizer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

# per-size hyper-parameters; "tiny" keeps every layer type so quick runs exercise the same ops
_CNN = {
    "full": {"widths": (16, 32, 64), "blocks": 3, "image": 32},  # ResNet-20 on CIFAR-10
    "tiny": {"widths": (8, 16, 32), "blocks": 1, "image": 16},
}
_TRANSFORMER = {
    "full": {"vocab": 8192, "seq": 64, "d_model": 128, "heads": 4, "ff": 512, "layers": 4},
    "tiny": {"vocab": 512, "seq": 16, "d_model": 32, "heads": 2, "ff": 64, "layers": 1},
}
_RECOMMENDER = {
    "full": {"tables": 8, "rows": 20000, "dim": 32, "dense": 13, "bottom": 128, "top": 256},
    "tiny": {"tables": 4, "rows": 1000, "dim": 8, "dense": 13, "bottom": 16, "top": 16},
}
_LSTM = {
    "full": {"vocab": 10000, "emb": 200, "hidden": 200, "layers": 2, "seq": 20},
    "tiny": {"vocab": 1000, "emb": 32, "hidden": 32, "layers": 1, "seq": 10},
}
NUM_CLASSES = 10


def hyperparameters(name: str, size: str) -> dict[str, Any]:
    """The size preset of a built-in model (a copy: the presets are constants)."""
    table = {
        "resnet_cnn": _CNN,
        "transformer_encoder": _TRANSFORMER,
        "mlp_recommender": _RECOMMENDER,
        "lstm_lm": _LSTM,
    }
    return dict(table[name][size])


class BasicBlock(nn.Module):
    """ResNet basic block (two 3x3 convs, identity or 1x1 projection shortcut)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class ResNetCNN(nn.Module):
    """CIFAR-style ResNet (He et al. 2016, §4.2): 3 stages of ``blocks`` basic blocks."""

    def __init__(self, widths: tuple[int, int, int], blocks: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(3, widths[0], 3, 1, 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        ]
        c_in = widths[0]
        for stage, width in enumerate(widths):
            for block in range(blocks):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(BasicBlock(c_in, width, stride))
                c_in = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


class TransformerClassifier(nn.Module):
    """Encoder-only Transformer over token ids, mean-pooled into a sequence classifier."""

    def __init__(
        self, vocab: int, seq: int, d_model: int, heads: int, ff: int, layers: int
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.position = nn.Parameter(torch.zeros(1, seq, d_model))
        layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.1, batch_first=True)
        # nested tensors only help with padding masks, which synthetic batches do not have
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, NUM_CLASSES)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(self.embed(tokens) + self.position[:, : tokens.shape[1]])
        return self.head(hidden.mean(dim=1))


class MLPRecommender(nn.Module):
    """DLRM-style recommender: embedding tables for sparse features + MLPs, click logit."""

    def __init__(self, tables: int, rows: int, dim: int, dense: int, bottom: int, top: int) -> None:
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(rows, dim) for _ in range(tables))
        self.bottom = nn.Sequential(
            nn.Linear(dense, bottom), nn.ReLU(), nn.Linear(bottom, dim), nn.ReLU()
        )
        self.top = nn.Sequential(
            nn.Linear((tables + 1) * dim, top),
            nn.ReLU(),
            nn.Linear(top, top // 2),
            nn.ReLU(),
            nn.Linear(top // 2, 1),
        )

    def forward(self, dense: torch.Tensor, sparse: torch.Tensor) -> torch.Tensor:
        parts = [self.bottom(dense)] + [table(sparse[:, i]) for i, table in enumerate(self.tables)]
        return self.top(torch.cat(parts, dim=1)).squeeze(1)


class LSTMLanguageModel(nn.Module):
    """Word-level LSTM language model (Zaremba et al. 2014, "small" configuration)."""

    def __init__(self, vocab: int, emb: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, layers, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(tokens))
        return self.decoder(out)  # (batch, seq, vocab)


@dataclass(frozen=True)
class Workload:
    """A model ready to train: synthetic inputs and targets, loss and optimizer."""

    model: nn.Module
    inputs: tuple[torch.Tensor, ...]
    target: torch.Tensor
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    optimizer: torch.optim.Optimizer

    def gradient_bytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self.model.parameters() if p.requires_grad)


def _lm_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def build_model(name: str, size: str) -> nn.Module:
    """The bare ``nn.Module`` (also used by the web handler)."""
    if name == "resnet_cnn":
        cfg = hyperparameters(name, size)
        return ResNetCNN(cfg["widths"], cfg["blocks"])
    if name == "transformer_encoder":
        return TransformerClassifier(**hyperparameters(name, size))
    if name == "mlp_recommender":
        return MLPRecommender(**hyperparameters(name, size))
    if name == "lstm_lm":
        cfg = hyperparameters(name, size)
        return LSTMLanguageModel(cfg["vocab"], cfg["emb"], cfg["hidden"], cfg["layers"])
    raise KeyError(name)


def seeded_model(name: str, size: str, seed: int) -> nn.Module:
    """``build_model`` with a reproducible initialisation that leaves torch's global RNG as
    it was (the caller's own random streams are not disturbed)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(name, size)


def make_inputs(
    name: str, size: str, batch_size: int, device: torch.device, gen: torch.Generator
) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """Synthetic (inputs, target) of one batch, generated on the CPU then moved."""
    cfg = hyperparameters(name, size)
    if name == "resnet_cnn":
        side = cfg["image"]
        inputs: tuple[torch.Tensor, ...] = (torch.randn(batch_size, 3, side, side, generator=gen),)
        target = torch.randint(NUM_CLASSES, (batch_size,), generator=gen)
    elif name == "transformer_encoder":
        inputs = (torch.randint(cfg["vocab"], (batch_size, cfg["seq"]), generator=gen),)
        target = torch.randint(NUM_CLASSES, (batch_size,), generator=gen)
    elif name == "mlp_recommender":
        dense = torch.randn(batch_size, cfg["dense"], generator=gen)
        sparse = torch.randint(cfg["rows"], (batch_size, cfg["tables"]), generator=gen)
        inputs = (dense, sparse)
        target = torch.randint(2, (batch_size,), generator=gen).float()
    elif name == "lstm_lm":
        inputs = (torch.randint(cfg["vocab"], (batch_size, cfg["seq"]), generator=gen),)
        target = torch.randint(cfg["vocab"], (batch_size, cfg["seq"]), generator=gen)
    else:
        raise KeyError(name)
    return tuple(t.to(device) for t in inputs), target.to(device)


def build_workload(
    name: str, size: str, batch_size: int, device: torch.device, seed: int
) -> Workload:
    """A freshly initialised model (seeded) with its batch, loss and optimizer."""
    gen = torch.Generator().manual_seed(seed)
    model = seeded_model(name, size, seed).to(device).train()
    inputs, target = make_inputs(name, size, batch_size, device, gen)
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    if name == "mlp_recommender":
        loss_fn = nn.functional.binary_cross_entropy_with_logits
    elif name == "lstm_lm":
        loss_fn = _lm_loss
    else:
        loss_fn = nn.functional.cross_entropy
    # the optimizers these architectures are usually trained with (Adam's state costs time)
    if name == "transformer_encoder":
        optimizer: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    elif name == "mlp_recommender":
        optimizer = torch.optim.Adagrad(model.parameters(), lr=1e-2)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return Workload(model, inputs, target, loss_fn, optimizer)


def training_step(workload: Workload) -> Callable[[], object]:
    """One full step: zero_grad, forward, loss, backward, optimizer step."""

    def step() -> object:
        workload.optimizer.zero_grad(set_to_none=True)
        loss = workload.loss_fn(workload.model(*workload.inputs), workload.target)
        loss.backward()
        workload.optimizer.step()
        return loss

    return step
