package httpapi

import (
	"net/http"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

// getValues returns an environment's current values, secrets without value.
func (s *server) getValues(w http.ResponseWriter, r *http.Request) error {
	vals, err := s.catalog.GetValues(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"), pathVar(r, "env"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewValues(vals))
}

// changeValues applies a change set as the environment's next version.
func (s *server) changeValues(w http.ResponseWriter, r *http.Request) error {
	var req changeSetRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	vals, err := s.catalog.ApplyChangeSet(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"), pathVar(r, "env"), req.changeSet())
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewValues(vals))
}

// promote copies one environment's values to another, or diffs on a dry run.
func (s *server) promote(w http.ResponseWriter, r *http.Request) error {
	var req promoteRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	slug := pathVar(r, "slug")
	done := s.timeOperation(r.Context(), "promote", logrus.InfoLevel, func() logrus.Fields {
		return logrus.Fields{"asset": slug, "from": req.From, "to": req.To, "dry_run": req.DryRun}
	})
	res, err := s.catalog.Promote(r.Context(), actorFrom(r.Context()), slug, catalog.PromoteRequest(req))
	done()
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewPromotion(res))
}

// listVersions lists an environment's versions, newest first. The contract
// has no pagination here, so every page of the core's listing is gathered.
func (s *server) listVersions(w http.ResponseWriter, r *http.Request) error {
	env, err := requiredQuery(r, "environment")
	if err != nil {
		return err
	}
	actor, slug := actorFrom(r.Context()), pathVar(r, "slug")
	versions := []versionView{}
	page := domain.Page{Limit: domain.MaxPageSize}
	for {
		batch, cursor, err := s.catalog.ListVersions(r.Context(), actor, slug, env, page)
		if err != nil {
			return err
		}
		for _, v := range batch {
			versions = append(versions, viewVersion(v))
		}
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
	return respond(w, http.StatusOK, viewValues(vals))
}

// rollback makes the environment's next version a copy of an earlier one.
func (s *server) rollback(w http.ResponseWriter, r *http.Request) error {
	var req rollbackRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	slug := pathVar(r, "slug")
	done := s.timeOperation(r.Context(), "rollback", logrus.InfoLevel, func() logrus.Fields {
		return logrus.Fields{"asset": slug, "environment": req.Environment, "version": req.Version}
	})
	res, err := s.catalog.Rollback(r.Context(), actorFrom(r.Context()), slug, req.Environment, req.Version)
	done()
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewRollback(res))
}
