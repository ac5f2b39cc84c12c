"""The Model Spider network: one attention block read out at the PTM token, for every PTM.

The released code runs the block once per PTM over the sequence
``[PTM token m; task tokens (; PTM-m-specific tokens)]`` and reads only position 0. Only that
row is ever used, so this module computes that row alone, for all PTMs at once:

* query: ``q_m = W_q p_m``. A key is ``W_k t``, so ``q_m . k = (W_k^T q_m) . t``: the query
  is moved to the token side (``q~_m``) and no key is ever materialised.
* value then output projection: ``W_o W_v`` is linear, so the attention-weighted sum can be
  taken before or after projecting. Each source of tokens (general, PTM-specific) picks the
  cheaper order: project the C tokens of a task once and share them between the M PTMs
  ("tokens first", cheap when C < M, e.g. ranking a large zoo) or project the M attention-
  weighted averages of the raw inputs ("queries first", cheap when M < C, e.g. training on
  42 PTMs with 100 tokens of 3072-d). Both orders compute the same function; the choice only
  depends on shapes, so results stay reproducible.

Everything else is the released block: 1 head, Q/K/V without bias, scaled by sqrt(d),
dropout on attention weights and on the output, output linear, residual, post-LayerNorm, no
feed-forward; readout LayerNorm then Linear(d, 1) (``head="linear"``).

``head="bilinear"`` adds a per-PTM read-out: ``score_m = (w + U p_m)^T LN(h_m) + b``. With the
shared ``w`` alone, the values are shared by all PTMs, so ``w^T W_o W_v t_j`` is one scalar per
task token for every PTM and a PTM can only re-weight these scalars through its attention
weights; ``U p_m`` gives each PTM its own linear function of the attended task tokens (what a
per-PTM ridge on the mean token expresses). ``U`` starts at zero, so the initial network is
the linear one.

Randomness (initialisation, dropout) only ever comes from a `torch.Generator` passed in, never
from torch's global generator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import skip_init

__all__ = ["SpecificTokens", "SpiderNetwork"]

# Large negative filler for masked logits: finite, so no -inf - -inf = NaN in backward.
_NEG = -1e30


def _linear(n_in: int, n_out: int, bias: bool = True) -> nn.Linear:
    # skip_init: building the layer must not draw from torch's global generator.
    return skip_init(nn.Linear, n_in, n_out, bias=bias)


def _init_linear(layer: nn.Linear, generator: torch.Generator | None) -> None:
    # The default of nn.Linear, with our generator.
    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
    if layer.bias is not None:
        bound = 1.0 / math.sqrt(layer.in_features)
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


def _dropout(x: torch.Tensor, p: float, training: bool, generator) -> torch.Tensor:
    # F.dropout draws from the global generator; this one draws from ours.
    if not training or p == 0.0:
        return x
    keep = torch.empty_like(x).bernoulli_(1.0 - p, generator=generator)
    return x * keep / (1.0 - p)


@dataclass
class SpecificTokens:
    """PTM-specific token sets of a batch: one entry per (task, PTM) pair.

    Attributes
    ----------
    task : LongTensor of shape (n_pairs,)
        Row of the pair in the batch.
    slot : LongTensor of shape (n_pairs,)
        Column of the pair among the batch's scored PTMs (``model_index``'s second axis, or
        the model index itself when all PTMs are scored).
    groups : mapping of int to (LongTensor, Tensor, BoolTensor)
        For each model index: the pairs of that model (positions in ``task``), their raw
        tokens padded to ``(n, S, d_m)`` and the mask of real tokens ``(n, S)``.
    """

    task: torch.Tensor
    slot: torch.Tensor
    groups: Mapping[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]

    @property
    def n_pairs(self) -> int:
        return int(self.task.shape[0])

    @property
    def max_tokens(self) -> int:
        return max((int(t.shape[1]) for _, t, _ in self.groups.values()), default=0)


class SpiderNetwork(nn.Module):
    """Scores of PTMs on tasks from the tasks' token sets.

    Parameters
    ----------
    n_features : int
        Width of the general task tokens.
    n_models : int
        Number of PTMs (learnable tokens).
    d_model : int
        Token width inside the block.
    dropout : float
        Dropout on the attention weights and on the block's output.
    specific_widths : mapping of int to int
        For each model index with PTM-specific tokens, their width (one projection each).
    generator : torch.Generator, optional
        Source of the initial weights.
    head : {"linear", "bilinear"}, default="linear"
        The read-out: the released shared ``Linear(d, 1)``, or that plus the per-PTM term
        ``(U p_m)^T LN(h_m)`` (see the module docstring).
    zero_readout : bool, default=False
        Start the read-out at zero (weight and bias of ``Linear(d, 1)``; ``U`` starts at
        zero anyway), so the initial network scores every PTM 0 on every task: a residual
        learned on top of a fixed per-PTM term starts from that term exactly. False: the
        released initialisation.
    """

    def __init__(
        self,
        n_features: int,
        n_models: int,
        d_model: int,
        dropout: float,
        specific_widths: Mapping[int, int] | None = None,
        generator: torch.Generator | None = None,
        head: str = "linear",
        zero_readout: bool = False,
    ):
        super().__init__()
        if head not in ("linear", "bilinear"):
            raise ValueError(f"head must be 'linear' or 'bilinear', got {head!r}.")
        self.head_type = head
        self.zero_readout = zero_readout
        self.n_features = n_features
        self.d_model = d_model
        self.dropout = dropout
        self.specific_widths = dict(specific_widths or {})
        self.input_proj = _linear(n_features, d_model)
        self.model_tokens = nn.Parameter(torch.empty(n_models, d_model))
        self.q_proj = _linear(d_model, d_model, bias=False)
        self.k_proj = _linear(d_model, d_model, bias=False)
        self.v_proj = _linear(d_model, d_model, bias=False)
        self.out_proj = _linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.head_norm = nn.LayerNorm(d_model)
        self.head = _linear(d_model, 1)
        # The per-PTM read-out map U (d x d); only in the bilinear head, so the linear head's
        # parameters (and its state_dict) are the released ones.
        self.head_bilinear = (
            nn.Parameter(torch.empty(d_model, d_model)) if head == "bilinear" else None
        )
        self.specific_proj = nn.ModuleDict(
            {str(m): _linear(w, d_model) for m, w in sorted(self.specific_widths.items())}
        )
        self.reset_parameters(generator)

    @property
    def n_models(self) -> int:
        return int(self.model_tokens.shape[0])

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        with torch.no_grad():
            self.model_tokens.normal_(0.0, 1.0, generator=generator)
            for layer in (self.q_proj, self.k_proj, self.v_proj):
                nn.init.xavier_uniform_(layer.weight, generator=generator)
            for layer in (self.input_proj, self.out_proj, self.head, *self.specific_proj.values()):
                _init_linear(layer, generator)
            # As nn.MultiheadAttention: no initial bias on the output projection.
            self.out_proj.bias.zero_()
            self.norm.reset_parameters()
            self.head_norm.reset_parameters()
            if self.head_bilinear is not None:
                # Zero: training starts from the linear head (and draws nothing more).
                self.head_bilinear.zero_()
            if self.zero_readout:
                # After the draws above, so the other weights are those of the same seed.
                self.head.weight.zero_()
                self.head.bias.zero_()

    # -- pieces -----------------------------------------------------------------------------
    def _ov(self, x: torch.Tensor) -> torch.Tensor:
        """``W_o W_v x``: the value then output projection, without the output bias."""
        return self.v_proj(x) @ self.out_proj.weight.T

    def model_terms(self, tokens: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """What depends on the PTM tokens only: token, moved query, self-logit, self-value.

        Returns ``(p, q~, l_self, u_self)`` of shapes ``(M, d), (M, d), (M,), (M, d)``.
        """
        p = self.model_tokens if tokens is None else tokens
        q = self.q_proj(p) @ self.k_proj.weight  # q~ = W_k^T W_q p
        l_self = (q * p).sum(-1) / math.sqrt(self.d_model)
        return p, q, l_self, self._ov(p)

    @staticmethod
    def _choose_order(n_tokens: int, n_rows: int, n_in: int, d: int, c: int) -> str:
        # Flops of both orders (forward); see the module docstring.
        tokens_first = n_tokens * (n_in * d + 2 * d * d) + 2 * n_rows * c * d
        queries_first = n_rows * (n_in * d + 2 * d * d) + 2 * n_rows * c * n_in
        return "tokens" if tokens_first <= queries_first else "queries"

    # -- forward ----------------------------------------------------------------------------
    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor,
        model_index: torch.Tensor | None = None,
        specific: SpecificTokens | None = None,
        *,
        terms: Sequence[torch.Tensor] | None = None,
        model_tokens: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        order: str = "auto",
    ) -> torch.Tensor:
        """Score PTMs on a batch of tasks.

        Parameters
        ----------
        x : Tensor of shape (B, C, n_features)
            General task tokens, zero-padded.
        mask : BoolTensor of shape (B, C)
            True at real tokens; every task needs at least one.
        model_index : LongTensor of shape (B, K), optional
            The PTMs to score on each task (default: all, in order).
        specific : SpecificTokens, optional
            PTM-specific tokens appended to the sequences of some (task, PTM) pairs.
        terms : tuple of Tensor, optional
            Precomputed `model_terms` (eval mode only: they must match the weights).
        model_tokens : Tensor of shape (M, d), optional
            PTM tokens used instead of the parameter (to train a subset of them).
        generator : torch.Generator, optional
            Source of dropout masks in training mode.
        order : {"auto", "tokens", "queries"}
            Contraction order for the general tokens (the result is the same).

        Returns
        -------
        scores : Tensor of shape (B, M) or (B, K)
        """
        B, C, _ = x.shape
        d = self.d_model
        scale = 1.0 / math.sqrt(d)
        p, qt, l_self, u_self = terms if terms is not None else self.model_terms(model_tokens)
        if model_index is None:
            p, qt, l_self, u_self = (t.unsqueeze(0) for t in (p, qt, l_self, u_self))
        else:
            p, qt, l_self, u_self = (t[model_index] for t in (p, qt, l_self, u_self))
        K = qt.shape[1]
        qt_b = qt.expand(B, K, d)

        n_tokens = int(mask.sum())
        padded = n_tokens < B * C
        if order == "auto":
            order = self._choose_order(n_tokens, B * K, self.n_features, d, C)
        W_in, b_in = self.input_proj.weight, self.input_proj.bias
        if order == "tokens":
            if padded:  # project real tokens only
                t = x.new_zeros(B, C, d)
                t[mask] = self.input_proj(x[mask])
            else:
                t = self.input_proj(x)
            l_task = torch.bmm(qt_b, t.transpose(1, 2)) * scale
        else:
            q_in = qt @ W_in  # (1 or B, K, F): the query moved to the raw-input side
            l_task = (torch.bmm(q_in.expand(B, K, -1), x.transpose(1, 2))) * scale
            l_task = l_task + (qt_b @ b_in).unsqueeze(-1) * scale
        if padded:
            l_task = l_task.masked_fill(~mask.unsqueeze(1), _NEG)

        parts = [l_self.expand(B, K).unsqueeze(-1), l_task]
        S = specific.max_tokens if specific is not None and specific.n_pairs else 0
        if S:
            l_spec_pairs = x.new_full((specific.n_pairs, S), _NEG)
            q_pairs = qt_b[specific.task, specific.slot]  # (P, d)
            for m, (idx, tok, tmask) in specific.groups.items():
                proj = self.specific_proj[str(m)]
                if tok.shape[-1] != proj.in_features:
                    raise ValueError(
                        f"the PTM-specific tokens of model {m} have width {tok.shape[-1]}, "
                        f"but its projection expects {proj.in_features} (the width in fit)."
                    )
                q_m = q_pairs[idx]
                l_m = torch.bmm((q_m @ proj.weight).unsqueeze(1), tok.transpose(1, 2)).squeeze(1)
                l_m = (l_m + (q_m @ proj.bias).unsqueeze(-1)) * scale
                l_m = l_m.masked_fill(~tmask, _NEG)
                l_spec_pairs = l_spec_pairs.index_put(
                    (idx.unsqueeze(1), torch.arange(l_m.shape[1], device=x.device).unsqueeze(0)),
                    l_m,
                )
            l_spec = x.new_full((B, K, S), _NEG).index_put(
                (specific.task, specific.slot), l_spec_pairs
            )
            parts.append(l_spec)

        attn = torch.softmax(torch.cat(parts, dim=-1), dim=-1)
        attn = _dropout(attn, self.dropout, self.training, generator)
        a_self, a_task = attn[..., 0], attn[..., 1 : 1 + C]

        ctx = a_self.unsqueeze(-1) * u_self
        if order == "tokens":
            if padded:
                u = x.new_zeros(B, C, d)
                u[mask] = self._ov(t[mask])
            else:
                u = self._ov(t)
            ctx = ctx + torch.bmm(a_task, u)
        else:
            z = torch.bmm(a_task, x)  # attention-weighted raw inputs (B, K, F)
            v_in = z @ W_in.T + a_task.sum(-1, keepdim=True) * b_in
            ctx = ctx + self._ov(v_in)
        if S:
            a_spec = attn[..., 1 + C :][specific.task, specific.slot]  # (P, S)
            v_pairs = x.new_zeros(specific.n_pairs, d)
            for m, (idx, tok, _) in specific.groups.items():
                proj = self.specific_proj[str(m)]
                a_m = a_spec[idx, : tok.shape[1]]
                z_m = torch.bmm(a_m.unsqueeze(1), tok).squeeze(1)
                v_m = z_m @ proj.weight.T + a_m.sum(-1, keepdim=True) * proj.bias
                v_pairs = v_pairs.index_put((idx,), v_m)
            ctx = ctx.index_put(
                (specific.task, specific.slot),
                ctx[specific.task, specific.slot] + self._ov(v_pairs),
            )

        h = _dropout(ctx + self.out_proj.bias, self.dropout, self.training, generator)
        h = self.head_norm(self.norm(p + h))
        score = self.head(h).squeeze(-1)
        if self.head_bilinear is not None:
            score = score + ((p @ self.head_bilinear.T) * h).sum(-1)
        return score
