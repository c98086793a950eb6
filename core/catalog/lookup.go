package catalog

import (
	"context"
	"fmt"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// assetBySlug finds an asset; ASSET_NOT_FOUND names the slug.
func assetBySlug(ctx context.Context, st ports.TenantTx, slug string) (domain.Asset, error) {
	a, err := st.Assets().BySlug(ctx, slug)
	return a, namedAssetError(slug, err)
}

// lockedAsset finds an asset and keeps it from being deleted until the
// transaction ends. Every write to an asset's versions takes this lock
// before any head, so that it and a deletion of the asset serialize instead
// of deadlocking; ASSET_NOT_FOUND names the slug.
func lockedAsset(ctx context.Context, st ports.TenantTx, slug string) (domain.Asset, error) {
	a, err := st.Assets().LockBySlug(ctx, slug)
	return a, namedAssetError(slug, err)
}

// namedAssetError gives a store's ASSET_NOT_FOUND the contract's message and
// the slug; other errors pass unchanged.
func namedAssetError(slug string, err error) error {
	if domain.IsKind(err, domain.KindAssetNotFound) {
		return &domain.Error{
			Kind:    domain.KindAssetNotFound,
			Message: "The requested asset does not exist.",
			Details: map[string]any{"asset_slug": slug},
			Cause:   err,
		}
	}
	return err
}

// assetWithEnvironments finds an asset and checks that every one of envs
// exists: ASSET_NOT_FOUND or ENVIRONMENT_NOT_FOUND, in that order.
func assetWithEnvironments(ctx context.Context, st ports.TenantTx, slug string, envs ...string) (domain.Asset, error) {
	asset, err := assetBySlug(ctx, st, slug)
	if err != nil {
		return domain.Asset{}, err
	}
	return asset, environmentsExist(ctx, st, envs)
}

// lockedAssetWithEnvironments is assetWithEnvironments for a write to the
// asset's versions: the asset is locked as by lockedAsset.
func lockedAssetWithEnvironments(ctx context.Context, st ports.TenantTx, slug string, envs ...string) (domain.Asset, error) {
	asset, err := lockedAsset(ctx, st, slug)
	if err != nil {
		return domain.Asset{}, err
	}
	return asset, environmentsExist(ctx, st, envs)
}

// environmentsExist checks that every one of envs exists.
func environmentsExist(ctx context.Context, st ports.TenantTx, envs []string) error {
	for _, env := range envs {
		if err := environmentExists(ctx, st, env); err != nil {
			return err
		}
	}
	return nil
}

// environmentExists checks that the tenant has the environment;
// ENVIRONMENT_NOT_FOUND names it.
func environmentExists(ctx context.Context, st ports.TenantTx, name string) error {
	_, err := st.Environments().Get(ctx, name)
	return namedEnvironmentError(name, err)
}

// namedEnvironmentError gives a store's ENVIRONMENT_NOT_FOUND the contract's
// message and the environment's name; other errors pass unchanged.
func namedEnvironmentError(name string, err error) error {
	if domain.IsKind(err, domain.KindEnvironmentNotFound) {
		return &domain.Error{
			Kind:    domain.KindEnvironmentNotFound,
			Message: "The requested environment does not exist.",
			Details: map[string]any{"environment": name},
			Cause:   err,
		}
	}
	return err
}

// versionByNumber returns one version with its snapshot; VERSION_NOT_FOUND
// names the environment and the number.
func versionByNumber(ctx context.Context, st ports.TenantTx, asset domain.AssetID, env string, number int) (domain.Version, error) {
	v, err := st.Versions().Get(ctx, asset, env, number)
	if domain.IsKind(err, domain.KindVersionNotFound) {
		return domain.Version{}, &domain.Error{
			Kind:    domain.KindVersionNotFound,
			Message: "The requested version does not exist.",
			Details: map[string]any{"environment": env, "version": number},
			Cause:   err,
		}
	}
	return v, err
}

// lockedWriteTarget starts a write to the versions of (slug, env) with the
// locks of lockedAsset and lockedCurrent, in their order, through
// VersionStore.LockCurrent (one statement once the pair has a head):
// ASSET_NOT_FOUND, ENVIRONMENT_NOT_FOUND, then VERSION_CONFLICT when
// expected is given and stale. It returns the asset, its current version
// with its snapshot and the head's marks.
func lockedWriteTarget(ctx context.Context, st ports.TenantTx, slug, env string, expected *int) (ports.WriteTarget, error) {
	target, err := st.Versions().LockCurrent(ctx, slug, env)
	if err != nil {
		return ports.WriteTarget{}, namedEnvironmentError(env, namedAssetError(slug, err))
	}
	if err := checkExpected(expected, target.Current.Number); err != nil {
		return ports.WriteTarget{}, err
	}
	return target, nil
}

// lockedCurrent locks the head of (asset, env), checks expected against it,
// and returns the current version with its snapshot.
func lockedCurrent(ctx context.Context, st ports.TenantTx, asset domain.AssetID, env string, expected *int) (domain.Version, error) {
	head, err := st.Versions().LockHead(ctx, asset, env)
	if err != nil {
		return domain.Version{}, err
	}
	if err := checkExpected(expected, head); err != nil {
		return domain.Version{}, err
	}
	cur, err := st.Versions().Current(ctx, asset, env)
	if err != nil {
		return domain.Version{}, err
	}
	if cur.Number != head {
		return domain.Version{}, domain.Wrap(fmt.Errorf("head is %d but the current version is %d", head, cur.Number), "The version history is inconsistent.")
	}
	return cur, nil
}

// checkExpected returns VERSION_CONFLICT when an expected version is given
// and differs from the current one.
func checkExpected(expected *int, current int) error {
	if expected == nil || *expected == current {
		return nil
	}
	return domain.Errorf(domain.KindVersionConflict, "The environment is at version %d, not %d.", current, *expected).
		WithDetail("expected_version", *expected).
		WithDetail("current_version", current)
}
