"""What PyTorch computes when scGPT's classifier head is fine-tuned: the reference for
test/scgpt-head.test.ts. Writes test/fixtures/scgpt-head/.

Run with Debian's PyTorch (python3-torch, 1.13, the version the scGPT parity fixtures were made
with), offline:  /usr/bin/python3 test/reference/make_scgpt_head_fixture.py

ClsDecoder, GeneEncoder and ContinuousValueEncoder are copied from scGPT (bowang-lab/scGPT,
scgpt/model/model.py, MIT licence, Copyright (c) 2022 suber); the encoder layers are
torch.nn.TransformerEncoderLayer(batch_first=True), as scGPT builds them without flash-attn.
Dropout is left out (scGPT trains with 0.2; our port is deterministic).

Two cases, both with torch.optim.Adam (betas 0.9/0.999, eps 1e-8, bias correction) and
nn.CrossEntropyLoss, lr 1e-3 so that each step moves the weights well past the test's 1e-5:
- frozen: the head alone on the tiny fixture's <cls> outputs (expected/cls_embedding.npy, what
  scGPT's cell_emb_style "cls" hands the head), 3 steps (cells 0-7, 8-15, all 16); and 2 steps with
  weight_decay 0.01.
- unfreeze: the head and the encoder's last layer, the cells' tokens through the tiny checkpoint
  (frozen layers under no_grad), 2 steps (cells 0-7, then 8-15); the layer's gradients of the
  first step too.
"""
import json
import os
from typing import Optional

import numpy as np
import torch
from torch import Tensor, nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TINY = os.path.join(ROOT, "..", "shared", "fixtures", "scgpt-parity", "tiny")
OUT = os.path.join(ROOT, "test", "fixtures", "scgpt-head")


from scgpt_cls_decoder import ClsDecoder  # scGPT's own class (test/reference/scgpt_cls_decoder.py)


class GeneEncoder(nn.Module):
    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: Optional[int] = None,
    ):
        super().__init__()
        self.embedding = nn.Embedding(
            num_embeddings, embedding_dim, padding_idx=padding_idx
        )
        self.enc_norm = nn.LayerNorm(embedding_dim)

    def forward(self, x: Tensor) -> Tensor:
        x = self.embedding(x)  # (batch, seq_len, embsize)
        x = self.enc_norm(x)
        return x


class ContinuousValueEncoder(nn.Module):
    """
    Encode real number values to a vector using neural nets projection.
    """

    def __init__(self, d_model: int, dropout: float = 0.1, max_value: int = 512):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        self.linear1 = nn.Linear(1, d_model)
        self.activation = nn.ReLU()
        self.linear2 = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.max_value = max_value

    def forward(self, x: Tensor) -> Tensor:
        """
        Args:
            x: Tensor, shape [batch_size, seq_len]
        """
        # TODO: test using actual embedding layer if input is categorical
        # expand last dimension
        x = x.unsqueeze(-1)
        # clip x to [-inf, max_value]
        x = torch.clamp(x, max=self.max_value)
        x = self.activation(self.linear1(x))
        x = self.linear2(x)
        x = self.norm(x)
        return self.dropout(x)


# --- end of the copy ---

LAYER_KEYS = [
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
]


def head_keys(nlayers):
    keys = []
    for i in range(nlayers - 1):
        keys += [f"_decoder.{3 * i}.weight", f"_decoder.{3 * i}.bias", f"_decoder.{3 * i + 2}.weight", f"_decoder.{3 * i + 2}.bias"]
    return keys + ["out_layer.weight", "out_layer.bias"]


def flat(tensors):
    return np.concatenate([t.detach().numpy().astype(np.float32).ravel() for t in tensors])


def head_flat(head, nlayers, grads=False):
    p = dict(head.named_parameters())
    return flat([p[k].grad if grads else p[k] for k in head_keys(nlayers)])


def save(folder, name, a):
    np.save(os.path.join(OUT, folder, name + ".npy"), a.astype(np.float32))


def adam(params, weight_decay=0.0):
    return torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=weight_decay)


def frozen_case():
    os.makedirs(os.path.join(OUT, "frozen"), exist_ok=True)
    emb = torch.from_numpy(np.load(os.path.join(TINY, "expected", "cls_embedding.npy")))
    labels = torch.tensor([0, 1, 2, 3, 1, 0, 3, 2, 2, 2, 0, 1, 3, 0, 1, 3])
    n_cls, nlayers = 4, 3
    batches = [list(range(0, 8)), list(range(8, 16)), list(range(16))]
    torch.manual_seed(0)
    head = ClsDecoder(emb.shape[1], n_cls, nlayers=nlayers)
    init = {k: v.detach().clone() for k, v in head.state_dict().items()}
    save("frozen", "head_init", head_flat(head, nlayers))
    criterion = nn.CrossEntropyLoss()
    opt = adam(head.parameters())
    losses = []
    for step, cells in enumerate(batches, 1):
        opt.zero_grad()
        loss = criterion(head(emb[cells]), labels[cells])
        loss.backward()
        if step == 1:
            save("frozen", "grad1", head_flat(head, nlayers, grads=True))
        opt.step()
        losses.append(loss.item())
        if step == 1:
            save("frozen", "head_step1", head_flat(head, nlayers))
    save("frozen", "head_step3", head_flat(head, nlayers))
    # The same start with weight decay (Adam's L2 term).
    head.load_state_dict(init)
    opt = adam(head.parameters(), weight_decay=0.01)
    wd_losses = []
    for cells in batches[:2]:
        opt.zero_grad()
        loss = criterion(head(emb[cells]), labels[cells])
        loss.backward()
        opt.step()
        wd_losses.append(loss.item())
    save("frozen", "head_wd_step2", head_flat(head, nlayers))
    meta = {
        "source": "../shared/fixtures/scgpt-parity/tiny/expected/cls_embedding.npy",
        "n_cls": n_cls, "nlayers_cls": nlayers, "lr": 1e-3, "eps": 1e-8, "betas": [0.9, 0.999],
        "labels": labels.tolist(), "batches": batches, "losses": losses,
        "weight_decay": 0.01, "wd_losses": wd_losses,
        "torch": torch.__version__,
    }
    with open(os.path.join(OUT, "frozen", "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


def unfreeze_case():
    os.makedirs(os.path.join(OUT, "unfreeze"), exist_ok=True)
    with open(os.path.join(TINY, "checkpoint", "args.json")) as f:
        args = json.load(f)
    d, nhead, d_hid, nlayers = args["embsize"], args["nheads"], args["d_hid"], args["nlayers"]
    sd = torch.load(os.path.join(TINY, "checkpoint", "best_model.pt"), map_location="cpu")
    genes = GeneEncoder(sd["encoder.embedding.weight"].shape[0], d)
    genes.load_state_dict({k[len("encoder."):]: v for k, v in sd.items() if k.startswith("encoder.")})
    values = ContinuousValueEncoder(d, dropout=0.0)
    values.load_state_dict({k[len("value_encoder."):]: v for k, v in sd.items() if k.startswith("value_encoder.")})
    layers = []
    for i in range(nlayers):
        # dropout 0 in train mode: the plain (not the fused inference) path, no dropout.
        layer = nn.TransformerEncoderLayer(d, nhead, d_hid, dropout=0.0, batch_first=True)
        layer.load_state_dict({k: sd[f"transformer_encoder.layers.{i}.{k}"] for k in LAYER_KEYS})
        layers.append(layer)
    last = layers[-1]
    ids = torch.from_numpy(np.load(os.path.join(TINY, "expected", "gene_ids.npy")).astype(np.int64))
    vals = torch.from_numpy(np.load(os.path.join(TINY, "expected", "values.npy")))
    pad = torch.from_numpy(np.load(os.path.join(TINY, "expected", "padding_mask.npy")).astype(bool))
    labels = torch.tensor([0, 1, 2, 1, 2, 0, 1, 0, 2, 2, 0, 1, 1, 0, 2, 1])
    batches = [list(range(0, 8)), list(range(8, 16))]
    n_cls, nlayers_cls = 3, 3
    torch.manual_seed(1)
    head = ClsDecoder(d, n_cls, nlayers=nlayers_cls)
    save("unfreeze", "head_init", head_flat(head, nlayers_cls))
    criterion = nn.CrossEntropyLoss()
    opt = adam(list(head.parameters()) + list(last.parameters()))
    losses = []
    for step, cells in enumerate(batches, 1):
        with torch.no_grad():
            x = genes(ids[cells]) + values(vals[cells])
            for layer in layers[:-1]:
                layer.train()
                x = layer(x, src_key_padding_mask=pad[cells])
        last.train()
        out = last(x, src_key_padding_mask=pad[cells])
        opt.zero_grad()
        loss = criterion(head(out[:, 0, :]), labels[cells])
        loss.backward()
        if step == 1:
            p = dict(last.named_parameters())
            save("unfreeze", "layer_grad1", flat([p[k].grad for k in LAYER_KEYS]))
        opt.step()
        losses.append(loss.item())
    save("unfreeze", "head_step2", head_flat(head, nlayers_cls))
    p = dict(last.named_parameters())
    save("unfreeze", "layer_step2", flat([p[k] for k in LAYER_KEYS]))
    meta = {
        "source": "../shared/fixtures/scgpt-parity/tiny (checkpoint/, expected/gene_ids, values, padding_mask)",
        "n_cls": n_cls, "nlayers_cls": nlayers_cls, "lr": 1e-3, "eps": 1e-8, "betas": [0.9, 0.999],
        "labels": labels.tolist(), "batches": batches, "losses": losses,
        "torch": torch.__version__,
    }
    with open(os.path.join(OUT, "unfreeze", "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    torch.set_num_threads(1)
    frozen_case()
    unfreeze_case()
    print("wrote", OUT)
