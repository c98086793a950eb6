package catalog

import (
	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
)

// newAssetID returns a random (version 4) UUID drawn from the service's
// randomness.
func (s *Service) newAssetID() (domain.AssetID, error) {
	id, err := uuid.NewRandomFromReader(s.deps.Random)
	if err != nil {
		return "", domain.Wrap(err, "Could not generate an identifier.")
	}
	return domain.AssetID(id.String()), nil
}
