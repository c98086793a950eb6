package httpapi

import (
	"net/http"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

// changeSetRequest is the body of PATCH /assets/{slug}/environments/{env}.
type changeSetRequest struct {
	Message         string                             `json:"message"`
	ExpectedVersion *int                               `json:"expected_version"`
	Set             map[string]map[string]domain.Value `json:"set"`
	Unset           map[string][]string                `json:"unset"`
}

// promoteRequest is the body of POST /assets/{slug}/promote.
type promoteRequest struct {
	From            string `json:"from"`
	To              string `json:"to"`
	ExpectedVersion *int   `json:"expected_version"`
	DryRun          bool   `json:"dry_run"`
}

// rollbackRequest is the body of POST /assets/{slug}/rollback.
type rollbackRequest struct {
	Environment string `json:"environment"`
	Version     int    `json:"version"`
}

// versionList is the answer of GET /assets/{slug}/versions.
type versionList struct {
	Versions []catalog.VersionInfo `json:"versions"`
}

// getValues returns an environment's current values, secrets without value.
func (s *server) getValues(w http.ResponseWriter, r *http.Request) error {
	vals, err := s.catalog.GetValues(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"), pathVar(r, "env"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, withValues(vals))
}

// changeValues applies a change set as the environment's next version.
func (s *server) changeValues(w http.ResponseWriter, r *http.Request) error {
	var req changeSetRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	cs := domain.ChangeSet{Message: req.Message, ExpectedVersion: req.ExpectedVersion, Set: req.Set, Unset: req.Unset}
	vals, err := s.catalog.ApplyChangeSet(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"), pathVar(r, "env"), cs)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, withValues(vals))
}

// promote copies one environment's values to another, or diffs on a dry run.
func (s *server) promote(w http.ResponseWriter, r *http.Request) error {
	var req promoteRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	slug := pathVar(r, "slug")
	done := s.timeOperation(r.Context(), "promote", logrus.InfoLevel, logrus.Fields{
		"asset": slug, "from": req.From, "to": req.To, "dry_run": req.DryRun,
	})
	res, err := s.catalog.Promote(r.Context(), actorFrom(r.Context()), slug, catalog.PromoteRequest(req))
	done()
	if err != nil {
		return err
	}
	res.Diff = nonNilDiff(res.Diff)
	return respond(w, http.StatusOK, res)
}

// listVersions lists an environment's versions, newest first. The contract
// has no pagination here, so every page of the core's listing is gathered.
func (s *server) listVersions(w http.ResponseWriter, r *http.Request) error {
	env, err := requiredQuery(r, "environment")
	if err != nil {
		return err
	}
	actor, slug := actorFrom(r.Context()), pathVar(r, "slug")
	versions := []catalog.VersionInfo{}
	page := domain.Page{Limit: domain.MaxPageSize}
	for {
		batch, cursor, err := s.catalog.ListVersions(r.Context(), actor, slug, env, page)
		if err != nil {
			return err
		}
		versions = append(versions, batch...)
		if cursor == "" || cursor == page.Cursor {
			break
		}
		page.Cursor = cursor
	}
	return respond(w, http.StatusOK, versionList{Versions: versions})
}

// getVersion returns the values of one version, secrets without value.
func (s *server) getVersion(w http.ResponseWriter, r *http.Request) error {
	env, err := requiredQuery(r, "environment")
	if err != nil {
		return err
	}
	n, err := positivePathInt(r, "n")
	if err != nil {
		return err
	}
	vals, err := s.catalog.GetVersion(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"), env, n)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, withValues(vals))
}

// rollback makes the environment's next version a copy of an earlier one.
func (s *server) rollback(w http.ResponseWriter, r *http.Request) error {
	var req rollbackRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	slug := pathVar(r, "slug")
	done := s.timeOperation(r.Context(), "rollback", logrus.InfoLevel, logrus.Fields{
		"asset": slug, "environment": req.Environment, "version": req.Version,
	})
	res, err := s.catalog.Rollback(r.Context(), actorFrom(r.Context()), slug, req.Environment, req.Version)
	done()
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, res)
}

// withValues makes an empty environment answer {} rather than null.
func withValues(v catalog.EnvironmentValues) catalog.EnvironmentValues {
	if v.Values == nil {
		v.Values = map[string]map[string]catalog.ValueView{}
	}
	return v
}

// nonNilDiff makes every list of a diff answer [] rather than null.
func nonNilDiff(d domain.Diff) domain.Diff {
	if d.Added == nil {
		d.Added = []string{}
	}
	if d.Changed == nil {
		d.Changed = []string{}
	}
	if d.Removed == nil {
		d.Removed = []string{}
	}
	return d
}
