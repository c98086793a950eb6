package catalog

import (
	"context"
	"maps"
	"slices"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Promote diffs and, unless dry run, replaces the target's values with the
// source's as the target's next version (editor). Secrets are opened under
// the source's binding and sealed again under the target's, except those
// the target already holds with the same value, which keep its ciphertext. The expected
// version guards the target (VERSION_CONFLICT); a dry run writes nothing and
// takes no lock.
func (s *Service) Promote(ctx context.Context, actor domain.Actor, slug string, req PromoteRequest) (PromoteResult, error) {
	if err := actor.Require(domain.RoleEditor); err != nil {
		return PromoteResult{}, err
	}
	if err := checkPromote(slug, req); err != nil {
		return PromoteResult{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (PromoteResult, error) {
		return s.promote(ctx, st, actor, slug, req)
	})
}

// checkPromote validates a promotion request.
func checkPromote(slug string, req PromoteRequest) error {
	p := domain.Problems{}
	checkTarget(p, slug, "from", req.From)
	domain.CheckEnvironmentName(p, "to", req.To)
	checkExpectedVersion(p, req.ExpectedVersion)
	if req.From != "" && req.From == req.To {
		p.Add("to", "must differ from from")
	}
	return p.Err()
}

// promote runs a promotion inside the caller's transaction.
func (s *Service) promote(ctx context.Context, st ports.TenantTx, actor domain.Actor, slug string, req PromoteRequest) (PromoteResult, error) {
	asset, err := lockedAssetWithEnvironments(ctx, st, slug, req.From, req.To)
	if err != nil {
		return PromoteResult{}, err
	}
	source, target, err := promotionPair(ctx, st, asset.ID, req)
	if err != nil {
		return PromoteResult{}, err
	}
	from := s.newOpener(st, place{tenant: actor.TenantID, asset: asset.ID, env: req.From})
	defer from.wipe()
	to := s.newOpener(st, place{tenant: actor.TenantID, asset: asset.ID, env: req.To})
	defer to.wipe()
	diff, err := diffSnapshots(ctx, source.Snapshot, target.Snapshot, from, to)
	if err != nil {
		return PromoteResult{}, err
	}
	if err := s.checkWrite(ctx, st, slug, req.To, from.place, source.Snapshot, !req.DryRun, unknownMarks); err != nil {
		return PromoteResult{}, err
	}
	res := PromoteResult{From: req.From, To: req.To, DryRun: req.DryRun, Diff: diff}
	if req.DryRun {
		return res, nil
	}
	snap, err := s.reseal(ctx, st, source.Snapshot, target.Snapshot, from, to)
	if err != nil {
		return PromoteResult{}, err
	}
	v := domain.Version{
		TenantID:    actor.TenantID,
		AssetID:     asset.ID,
		Environment: req.To,
		Number:      target.Number + 1,
		CreatedAt:   s.now(),
		CreatedBy:   actor.String(),
		Message:     "promoted from " + req.From,
		Source:      domain.SourcePromote,
		Snapshot:    snap,
	}
	details := valuesPromoted{Asset: slug, From: req.From, To: req.To, Version: v.Number, Diff: diffDetail(diff)}
	if err := s.commitVersion(ctx, st, actor, slug, v, domain.ActionPromoted, details); err != nil {
		return PromoteResult{}, err
	}
	res.Version = &v.Number
	return res, nil
}

// promotionPair reads the source's and the target's current versions. Outside
// a dry run it first locks the target's head and checks the expected version
// against it; a dry run checks it against what it read.
func promotionPair(ctx context.Context, st ports.TenantTx, asset domain.AssetID, req PromoteRequest) (source, target domain.Version, err error) {
	if !req.DryRun {
		if target, err = lockedCurrent(ctx, st, asset, req.To, req.ExpectedVersion); err != nil {
			return domain.Version{}, domain.Version{}, err
		}
	}
	if source, err = st.Versions().Current(ctx, asset, req.From); err != nil {
		return domain.Version{}, domain.Version{}, err
	}
	if req.DryRun {
		if target, err = st.Versions().Current(ctx, asset, req.To); err != nil {
			return domain.Version{}, domain.Version{}, err
		}
		if err = checkExpected(req.ExpectedVersion, target.Number); err != nil {
			return domain.Version{}, domain.Version{}, err
		}
	}
	return source, target, nil
}

// reseal copies the source's values for the place of to: non-secrets as
// they are, secrets opened with from and sealed again for to's place. A
// secret the target already holds with the same plaintext keeps the
// target's ciphertext: it is sealed for that very place (tenant, asset,
// environment, object and key), so sealing it again would only spend a
// nonce. The diff opened both already; the openers do not open them again.
func (s *Service) reseal(ctx context.Context, st ports.TenantTx, source, target domain.Snapshot, from, to *opener) (domain.Snapshot, error) {
	out := make(domain.Snapshot, len(source))
	for _, obj := range slices.Sorted(maps.Keys(source)) {
		keys := source[obj]
		m := make(map[string]domain.StoredValue, len(keys))
		for _, key := range slices.Sorted(maps.Keys(keys)) {
			v := keys[key]
			if !v.Secret {
				m[key] = v
				continue
			}
			if same, err := sameValue(ctx, obj, key, v, target[obj][key], from, to); err != nil {
				return nil, err
			} else if same {
				m[key] = target[obj][key]
				continue
			}
			plaintext, err := from.plaintext(ctx, obj, key, v)
			if err != nil {
				return nil, err
			}
			if m[key], err = s.seal(ctx, st, to.place, obj, key, plaintext); err != nil {
				return nil, err
			}
		}
		out[obj] = m
	}
	return out, nil
}
