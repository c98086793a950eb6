package catalog

import "github.com/configmat/configmat/core/domain"

// valuesView shows a snapshot to users: secrets are flagged, their value
// omitted. The map is never nil, so that JSON shows {} for no values.
func valuesView(slug, env string, number int, snap domain.Snapshot) EnvironmentValues {
	values := make(map[string]map[string]ValueView, len(snap))
	for obj, keys := range snap {
		m := make(map[string]ValueView, len(keys))
		for key, v := range keys {
			if v.Secret {
				m[key] = ValueView{Secret: true}
				continue
			}
			m[key] = ValueView{Value: v.Value}
		}
		values[obj] = m
	}
	return EnvironmentValues{Asset: slug, Environment: env, Version: number, Values: values}
}

// versionInfo describes a version without its values.
func versionInfo(v domain.Version) VersionInfo {
	return VersionInfo{
		Version:   v.Number,
		CreatedAt: v.CreatedAt,
		CreatedBy: v.CreatedBy,
		Message:   v.Message,
		Source:    v.Source,
	}
}
