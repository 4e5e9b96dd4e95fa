"""A head saved by scWeb, as a PyTorch user of scGPT would load it: the check behind
test/scgpt-head-file.test.ts.

    /usr/bin/python3 test/reference/scgpt_head_torch.py HEAD.pt INPUTS_DIR CHECKPOINT_DIR

Loads HEAD.pt with torch.load, checks that its pickle uses only the opcodes torch >= 2's
weights_only loader accepts (the default of torch.load since 2.6), builds scGPT's ClsDecoder
(copied from bowang-lab/scGPT, scgpt/model/model.py, MIT licence, Copyright (c) 2022 suber) and
the encoder layers as scGPT builds them without flash-attn (nn.TransformerEncoderLayer,
batch_first) under scGPT's attribute names (cls_decoder, transformer_encoder), loads the
checkpoint's encoder layers and then the head's state dict with load_state_dict(strict=False), and
prints as JSON: the logits of the <cls> embeddings in INPUTS_DIR/cls.npy, and (when the head
carries the last encoder layer) of the last layer's inputs in INPUTS_DIR/layer_in.npy [k, L, d]
with their lengths (INPUTS_DIR/lengths.npy), the keys load_state_dict did not expect, and the
encoder fingerprint recomputed from CHECKPOINT_DIR/best_model.pt as documented in head-file.ts.
"""
import hashlib
import json
import os
import pickletools
import sys
import zipfile

import numpy as np
import torch
from torch import Tensor, nn


from scgpt_cls_decoder import ClsDecoder  # scGPT's own class (test/reference/scgpt_cls_decoder.py)


# --- end of the copy ---

# The opcodes torch >= 2's weights_only unpickler (torch/_weights_only_unpickler.py) reads.
WEIGHTS_ONLY_OPS = {
    "GLOBAL", "NEWOBJ", "REDUCE", "BUILD", "APPEND", "APPENDS", "SETITEM", "SETITEMS", "MARK", "TUPLE", "TUPLE1", "TUPLE2",
    "TUPLE3", "NONE", "NEWFALSE", "NEWTRUE", "EMPTY_TUPLE", "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET", "BININT", "BININT1",
    "BININT2", "BINFLOAT", "BINUNICODE", "SHORT_BINSTRING", "BINPERSID", "BINGET", "LONG_BINGET", "BINPUT", "LONG_BINPUT",
    "LONG1", "PROTO", "STOP",
}
ALLOWED_GLOBALS = {"torch._utils._rebuild_tensor_v2", "torch.FloatStorage", "collections.OrderedDict"}

LAYER_KEYS = [
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
]


class Model(nn.Module):
    """The two parts of scGPT's TransformerModel a head touches, under its attribute names."""

    def __init__(self, d, nhead, d_hid, nlayers, n_cls, nlayers_cls):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d, nhead, d_hid, dropout=0.0, batch_first=True)
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers)
        self.cls_decoder = ClsDecoder(d, n_cls, nlayers=nlayers_cls)


def fingerprint(sd, nlayers, half=False):
    names = ["encoder.embedding.weight", "encoder.enc_norm.weight", "encoder.enc_norm.bias",
             "value_encoder.linear1.weight", "value_encoder.linear1.bias", "value_encoder.linear2.weight",
             "value_encoder.linear2.bias", "value_encoder.norm.weight", "value_encoder.norm.bias"]
    names += [f"transformer_encoder.layers.{i}.{k}" for i in range(nlayers) for k in LAYER_KEYS]
    lines = "".join(
        f"{k} {'x'.join(map(str, sd[k].shape))} {hashlib.sha256((sd[k].half() if half else sd[k].float()).contiguous().numpy().tobytes()).hexdigest()}\n"
        for k in names
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def main(head_path, inputs, ckpt_dir):
    with zipfile.ZipFile(head_path) as z:
        bad = z.testzip()
        pkl = next(n for n in z.namelist() if n.endswith("/data.pkl"))
        ops = set()
        globals_ = set()
        for op, arg, _ in pickletools.genops(z.read(pkl)):
            ops.add(op.name)
            if op.name == "GLOBAL":
                globals_.add(arg.replace(" ", "."))
    ck = torch.load(head_path)
    sd = ck["state_dict"]
    enc = ck["encoder"]
    d, nlayers = enc["d_model"], enc["n_layers"]
    model = Model(d, enc["n_heads"], enc["d_hid"], nlayers, ck["n_cls"], ck["nlayers_cls"]).eval()
    pretrained = torch.load(os.path.join(ckpt_dir, "best_model.pt"))
    layers = {k: v for k, v in pretrained.items() if k.startswith("transformer_encoder.")}
    model.load_state_dict(layers, strict=False)
    result = model.load_state_dict(sd, strict=False)
    placed = all(torch.equal(model.state_dict()[k], v) for k, v in sd.items())
    out = {
        "torch": torch.__version__,
        "zip_ok": bad is None,
        "unsupported_ops": sorted(ops - WEIGHTS_ONLY_OPS),
        "unexpected_globals": sorted(globals_ - ALLOWED_GLOBALS),
        "unexpected_keys": list(result.unexpected_keys),
        "placed": placed,
        "classes": ck["classes"],
        "label_column": ck["label_column"],
        "format": ck["format"],
        "tokenization": ck["tokenization"],
        "encoder": enc,
        "fingerprint": fingerprint(pretrained, nlayers),
        "fingerprint_f16": fingerprint(pretrained, nlayers, half=True),
    }
    with torch.no_grad():
        cls = torch.from_numpy(np.load(os.path.join(inputs, "cls.npy")))
        out["logits_cls"] = model.cls_decoder(cls).numpy().ravel().tolist()
        if ck["unfrozen_layer"] is not None:
            x = torch.from_numpy(np.load(os.path.join(inputs, "layer_in.npy")))
            lengths = np.load(os.path.join(inputs, "lengths.npy")).astype(np.int64)
            mask = torch.from_numpy(np.arange(x.shape[1])[None, :] >= lengths[:, None])
            layer = model.transformer_encoder.layers[ck["unfrozen_layer"]]
            h = layer(x, src_key_padding_mask=mask)[:, 0, :]
            out["logits_layer"] = model.cls_decoder(h).numpy().ravel().tolist()
            out["layer_differs_from_checkpoint"] = any(
                not torch.equal(pretrained[f"transformer_encoder.layers.{ck['unfrozen_layer']}.{k}"], sd[f"transformer_encoder.layers.{ck['unfrozen_layer']}.{k}"]) for k in LAYER_KEYS
            )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:4])
