"""The network computes only the PTM-token row; it must equal a plain full attention."""

import math

import numpy as np
import pytest
import torch

from skspider.spider._network import SpiderNetwork
from skspider.spider._training import specific_tokens


def _full_attention(net, x, mask, model_index, spec):
    """The released block, run separately per task and per PTM over the whole sequence."""
    B = x.shape[0]
    K = net.n_models if model_index is None else model_index.shape[1]
    out = torch.zeros(B, K, dtype=x.dtype)
    for b in range(B):
        tokens = net.input_proj(x[b, mask[b]])
        for j in range(K):
            m = j if model_index is None else int(model_index[b, j])
            seq = [net.model_tokens[m : m + 1], tokens]
            if (b, j) in spec:
                seq.append(net.specific_proj[str(m)](spec[(b, j)]))
            seq = torch.cat(seq)
            q, k, v = net.q_proj(seq), net.k_proj(seq), net.v_proj(seq)
            attn = torch.softmax(q @ k.T / math.sqrt(net.d_model), dim=-1)
            h = net.norm(seq + net.out_proj(attn @ v))
            out[b, j] = net.head(net.head_norm(h[0]))[0]
    return out


def _setup(seed=0, n_models=5, widths=None):
    gen = torch.Generator().manual_seed(seed)
    net = SpiderNetwork(7, n_models, 6, 0.1, widths or {}, generator=gen).double().eval()
    rng = np.random.default_rng(seed)
    lengths = [3, 1, 4]
    x = torch.zeros(3, 4, 7, dtype=torch.float64)
    mask = torch.zeros(3, 4, dtype=torch.bool)
    for b, n in enumerate(lengths):
        x[b, :n] = torch.from_numpy(rng.normal(size=(n, 7)))
        mask[b, :n] = True
    return net, x, mask, rng


@pytest.mark.parametrize("order", ["tokens", "queries", "auto"])
def test_general_tokens_equal_full_attention(order):
    net, x, mask, _ = _setup()
    with torch.no_grad():
        fast = net(x, mask, order=order)
        slow = _full_attention(net, x, mask, None, {})
    torch.testing.assert_close(fast, slow, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("order", ["tokens", "queries"])
def test_specific_tokens_and_model_subset_equal_full_attention(order):
    widths = {0: 2, 2: 3, 4: 2}
    net, x, mask, rng = _setup(widths=widths)
    model_index = torch.tensor([[4, 0], [2, 3], [0, 2]])
    pairs, spec = [], {}
    for b, j, n in [(0, 0, 2), (0, 1, 3), (1, 0, 1), (2, 1, 4), (2, 0, 2)]:
        m = int(model_index[b, j])
        tok = rng.normal(size=(n, widths[m]))
        pairs.append((b, j, m, tok))
        spec[(b, j)] = torch.from_numpy(tok)
    packed = specific_tokens(pairs, torch.device("cpu"), dtype=torch.float64)
    with torch.no_grad():
        fast = net(x, mask, model_index, packed, order=order)
        slow = _full_attention(net, x, mask, model_index, spec)
    torch.testing.assert_close(fast, slow, rtol=1e-10, atol=1e-10)


def test_float32_close_to_full_attention():
    net, x, mask, _ = _setup(seed=3)
    net, x = net.float(), x.float()
    with torch.no_grad():
        torch.testing.assert_close(
            net(x, mask), _full_attention(net, x, mask, None, {}), rtol=1e-5, atol=1e-5
        )


def test_padding_does_not_change_scores():
    net, x, mask, _ = _setup()
    with torch.no_grad():
        together = net(x, mask)
        alone = net(x[1:2, :1], mask[1:2, :1])
    torch.testing.assert_close(together[1:2], alone, rtol=1e-12, atol=1e-12)


def test_building_and_dropout_leave_global_rng_alone():
    state = torch.get_rng_state()
    net, x, mask, _ = _setup()
    net.float().train()
    net(x.float(), mask, generator=torch.Generator().manual_seed(1)).sum().backward()
    assert torch.equal(state, torch.get_rng_state())


def test_dropout_is_active_in_training_only():
    net, x, mask, _ = _setup()
    net.train()
    a = net(x, mask, generator=torch.Generator().manual_seed(0))
    b = net(x, mask, generator=torch.Generator().manual_seed(1))
    assert not torch.allclose(a, b)
    net.eval()
    torch.testing.assert_close(net(x, mask), net(x, mask))
