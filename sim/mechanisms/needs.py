"""Mechanism 1: needs and services.

Residents raise needs (repairs, sanitation, elder care, parking, safety, disputes); a need is
reported to an organization — at once through the platform, or offline with a weekly
probability — waits, and is resolved by an organization with capacity, resources and the
right category, or ages out after ``needs.max_wait`` weeks.

Where the levers act (source: ``docs/source.md``):

* *Political* — "have the resources and the ability to serve the masses": the leading
  organization's capacity and resources grow by ``capacity_gain``/``resource_gain`` × effort;
  "start from residents' real needs" (mass line): it takes on the ``mass_line_categories`` most
  common categories of the backlog and pulls stuck needs of those categories to itself.
* *Organizational* — "organizations building together, information connected", "optimise
  resource allocation", "break the silos": co-building links grow denser, a need held by an
  organization that cannot handle it is passed to a linked one that can, and linked
  organizations lend unused resources. Without it each organization serves only its own
  categories with its own resources.
* *Smart* — "data sharing": shared data reveals unreported needs; adopters report at once.

Residents themselves add capacity (:meth:`Service.volunteer_capacity`): those taking part
co-produce service, and projects agreed at a consultation add capacity until the next one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..params import CATEGORIES

#: Index of the 'disputes' need category (a request for mediation, linked to conflicts).
DISPUTES = CATEGORIES.index("disputes")

if TYPE_CHECKING:
    from ..agents import Organization
    from ..model import GovernanceModel


def add_needs(
    model: GovernanceModel, who: np.ndarray, cat: np.ndarray, rng: np.random.Generator
) -> None:
    """Residents ``who`` raise needs of categories ``cat`` this week.

    Entry organization: a capable one if the resident knows it (``know_right_org``), else its
    own organization, else a residents' committee. Platform adopters report at once.
    """
    res = model.residents
    k = who.size
    holder = res.org[who].copy()
    rc = model.org_of_kind["residents_committee"]
    no_org = holder < 0
    holder[no_org] = rc[rng.integers(0, rc.size, size=int(no_org.sum()))]
    knows = rng.random(k) < model.params.needs.know_right_org
    pick = rng.random(k)
    for c in range(len(model.capable)):
        cap = model.capable[c]
        m = knows & (cat == c)
        if cap.size and m.any():
            holder[m] = cap[(pick[m] * cap.size).astype(np.int64)]
    reported = res.digital[who]
    model.needs.append(who, cat, model.steps, reported, holder)
    np.add.at(res.open_needs, who, 1)


class Needs:
    """Residents raise needs and report them."""

    name = "needs"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Switched by ``needs.enabled``."""
        return model.params.needs.enabled

    def step(self, model: GovernanceModel) -> None:
        """Raise this week's needs; report waiting ones."""
        p = model.params.needs
        rng = model.rngs["needs"]
        res = model.residents
        counts = rng.poisson(res.need_rate)
        # Needs raised in the same week join the queue in random order (not by resident index,
        # which would always serve the same residents first among equally old needs).
        who = rng.permutation(np.repeat(np.arange(res.n, dtype=np.int64), counts))
        k = who.size
        mix = np.asarray(p.category_mix, dtype=float)
        cat = rng.choice(mix.size, size=k, p=mix / mix.sum()).astype(np.int8)
        add_needs(model, who, cat, rng)
        # Offline reporting and shared-data discovery of waiting needs.
        book = model.needs
        waiting = np.flatnonzero(~book.reported)
        u = rng.random(waiting.size)
        book.reported[waiting[u < p.report_prob]] = True
        discover = model.params.levers.smart.data_discovery * model.effort.smart
        found = waiting[(u >= p.report_prob) & (rng.random(waiting.size) < discover)]
        book.reported[found] = True
        model.events["needs_created"] = k
        model.events["needs_discovered"] = int(found.size)


class Service:
    """Organizations serve reported needs; unserved needs age out."""

    name = "service"

    @staticmethod
    def enabled(model: GovernanceModel) -> bool:
        """Service runs whenever needs do."""
        return model.params.needs.enabled

    def step(self, model: GovernanceModel) -> None:
        """Set this week's capacities, route, let each organization serve, age out."""
        self.prepare(model)
        model.agents_by_type[type(model.orgs[0])].shuffle_do("step")
        self.close(model)

    # -- before service ---------------------------------------------------------------------

    def prepare(self, model: GovernanceModel) -> None:
        """Apply the political and organizational levers to this week's organizations."""
        lp = model.params.levers
        pol, org = model.effort.political, model.effort.organizational
        rng = model.rngs["service"]
        max_cost = float(model.category_cost.max())
        volunteer = self.volunteer_capacity(model)
        volunteer_resources = volunteer * self.mean_cost(model)
        for o in model.orgs:
            cap, resrc = o.base_capacity, o.base_resources
            if o.is_leader:
                cap *= 1.0 + lp.political.capacity_gain * pol
                resrc *= 1.0 + lp.political.resource_gain * pol
            o.capacity = cap + volunteer[o.index]
            resrc += volunteer_resources[o.index]
            # Unused resources carry over, up to resource_buffer_weeks of this week's budget
            # but at least the cost of the costliest need, so that a small organization can
            # save up for one (in week 1 there is nothing to carry).
            carry = o.resources if model.steps > 1 else 0.0
            cap_res = (
                max(resrc * model.params.needs.resource_buffer_weeks, max_cost) if resrc else 0.0
            )
            o.resources = min(carry + resrc, cap_res)
            o.resources_used = 0.0
        # Co-building links: denser with organizational leadership.
        base = model.params.organizations.base_links
        density = base + org * max(lp.organizational.link_density - base, 0.0)
        model.links = model.link_draw < density
        handles = model.base_handles.copy()
        book = model.needs
        # Mass line: the leader takes on the most common categories of the backlog.
        k = lp.political.mass_line_categories
        take = lp.political.mass_line * pol
        if take > 0 and k > 0 and book.size:
            counts = np.bincount(book.category, minlength=handles.shape[1])
            top = np.argsort(-counts, kind="stable")[:k]
            top = top[counts[top] > 0]
            handles[0, top] = True
            stuck = book.reported & ~model.base_handles[book.holder, book.category]
            in_top = np.zeros(handles.shape[1], dtype=bool)
            in_top[top] = True
            stuck &= in_top[book.category]  # = np.isin(book.category, top), by table lookup
            idx = np.flatnonzero(stuck)
            book.holder[idx[rng.random(idx.size) < take]] = 0
        model.handles = handles
        model.served_now = np.zeros(book.size, dtype=bool)
        # Routing between linked organizations ("information connected").
        route = lp.organizational.routing * org
        if route > 0 and book.size:
            stuck = np.flatnonzero(book.reported & ~handles[book.holder, book.category])
            stuck = stuck[rng.random(stuck.size) < route]
            if stuck.size:
                cand = model.links[book.holder[stuck]] & handles[:, book.category[stuck]].T
                score = rng.random(cand.shape) * cand
                best = np.argmax(score, axis=1)
                ok = cand.any(axis=1)
                book.holder[stuck[ok]] = best[ok]
                model.events["needs_routed"] = int(ok.sum())
        self._queues(model)

    @staticmethod
    def mean_cost(model: GovernanceModel) -> float:
        """Resource cost of a need, averaged over the category mix."""
        mix = np.asarray(model.params.needs.category_mix, dtype=float)
        return float(np.dot(mix / mix.sum(), model.category_cost))

    @staticmethod
    def volunteer_capacity(model: GovernanceModel) -> np.ndarray:
        """Extra capacity of each organization this week from residents themselves.

        *Co-production*: each resident who took part last week adds
        ``participation.coproduction`` needs/week; *projects*: a decision passed at the last
        consultation adds ``deliberation.project_capacity`` per 1,000 residents until the next
        one. Both go to the residents' committees and volunteer teams, in equal shares.
        Volunteers bring their time and what the work needs: each unit of capacity comes
        with the resources of a need of mean cost (:meth:`mean_cost`).
        """
        out = np.zeros(len(model.orgs))
        total = model.params.participation.coproduction * float(model.residents.participating.sum())
        total += model.project_capacity
        if total > 0:
            kinds = model.org_of_kind
            idx = np.concatenate([kinds["residents_committee"], kinds["volunteer_team"]])
            out[idx] = total / idx.size
        return out

    @staticmethod
    def _queues(model: GovernanceModel) -> None:
        """Each organization's queue for this week, oldest first: the reported needs it holds
        and can handle (what :meth:`serve` selects from), grouped by holder in one stable sort
        instead of one pass over the whole book per organization."""
        book = model.needs
        held = book.reported & model.handles[book.holder, book.category]
        idx = np.flatnonzero(held)
        h = book.holder[idx]
        if len(model.orgs) <= np.iinfo(np.int16).max:
            h = h.astype(np.int16)  # a 16-bit stable sort is numpy's radix sort
        order = idx[np.argsort(h, kind="stable")]
        bounds = np.searchsorted(book.holder[order], np.arange(len(model.orgs) + 1))
        model.service_queues = (order, bounds)

    # -- one organization's turn --------------------------------------------------------------

    def serve(self, model: GovernanceModel, org: Organization) -> None:
        """Serve ``org``'s queue, oldest first, within capacity and (pooled) resources."""
        book = model.needs
        rng = model.rngs["service"]
        cap_f = org.capacity
        cap = int(cap_f) + int(rng.random() < cap_f - int(cap_f))
        if cap <= 0 or book.size == 0:
            return
        # = flatnonzero(reported & holder == org & handles[org, category] & ~served_now)
        order, bounds = model.service_queues
        sel = order[bounds[org.index] : bounds[org.index + 1]]
        sel = sel[~model.served_now[sel]][:cap]
        if sel.size == 0:
            return
        costs = model.category_cost[book.category[sel]]
        cum = np.cumsum(costs)
        lenders: list[Organization] = []
        lend = 0.0
        pool = model.params.levers.organizational.pooling * model.effort.organizational
        if pool > 0 and cum[-1] > org.resources:
            lenders = [o for o in model.orgs if o is not org and model.links[org.index, o.index]]
            lend = sum(pool * o.resources for o in lenders)
        n = int(np.searchsorted(cum, org.resources + lend + 1e-9, side="right"))
        if n == 0:
            return
        used = float(cum[n - 1])
        own = min(used, org.resources)
        org.resources -= own
        borrowed = used - own
        if borrowed > 0 and lend > 0:
            for o in lenders:
                share = borrowed * (pool * o.resources) / lend
                o.resources = max(0.0, o.resources - share)
        org.resources_used += used
        model.events["resources_used"] = model.events.get("resources_used", 0.0) + used
        model.served_now[sel[:n]] = True
        org.resolved += n

    # -- after service ------------------------------------------------------------------------

    def close(self, model: GovernanceModel) -> None:
        """Record resolved needs, age out the oldest, update residents' experience."""
        book = model.needs
        res = model.residents
        week = model.steps
        p = model.params.needs
        resolved = model.served_now
        expired = ~resolved & (week - book.created >= p.max_wait)
        wrong = expired & ~model.handles[book.holder, book.category]
        n_res, n_exp = int(resolved.sum()), int(expired.sum())
        waits = (week - book.created[resolved]).astype(np.float64)
        book_created_expired = book.created[expired].astype(np.float64)
        n = res.n
        res_by = np.bincount(book.resident[resolved], minlength=n)
        exp_by = np.bincount(book.resident[expired], minlength=n)
        # Every need that aged out counts against its holder's record, misdirected ones too.
        held = book.holder[expired]
        for o, lost in zip(model.orgs, np.bincount(held, minlength=len(model.orgs)), strict=True):
            o.lost += int(lost)
        ng = len(model.group_names)
        # Only residents with a closed need contribute (exact integer sums, so summing over
        # them alone gives the same numbers as over everyone, at a fraction of the cost).
        closed_by = res_by + exp_by
        who = np.flatnonzero(closed_by)
        g = res.group[who]
        model.group_resolved += np.bincount(g, weights=res_by[who], minlength=ng)
        model.group_closed += np.bincount(g, weights=closed_by[who], minlength=ng)
        model.last_resolved_ids = book.id[resolved]
        book.total_resolved += n_res
        book.total_expired += n_exp
        book.total_dropped_wrong_org += int(wrong.sum())
        res.open_needs -= closed_by.astype(res.open_needs.dtype)
        book_holder, book_resident, book_category = book.holder, book.resident, book.category
        book.remove(resolved | expired)
        ev = model.events
        ev["needs_resolved"] = n_res
        ev["needs_expired"] = n_exp
        ev["needs_dropped_wrong_org"] = int(wrong.sum())
        ev["wait_sum"] = float(waits.sum())
        ev["expired_wait_sum"] = float((week - book_created_expired).sum())
        ev["resolved_by_resident"] = res_by
        ev["expired_by_resident"] = exp_by
        # Resolved 'disputes' needs: each mediates one open dispute of its resident (conflicts).
        ev["dispute_requests_resolved"] = book_resident[resolved & (book_category == DISPUTES)]
        if model.params.trust.attribution_others != 1.0:  # who served: the leader or another
            lead = book_holder == 0
            ev["resolved_lead_by_resident"] = np.bincount(
                book_resident[resolved & lead], minlength=n
            )
            ev["expired_lead_by_resident"] = np.bincount(book_resident[expired & lead], minlength=n)
        # Remembered experience of being served, in [-1, 1].
        m = model.params.trust.memory
        # = clip(res_by − exp_by, −1, 1) as float: the sign, non-zero only where a need closed
        outcome = np.zeros(n)
        outcome[who] = np.sign(res_by[who] - exp_by[who])
        res.served *= m
        res.served += (1.0 - m) * outcome
