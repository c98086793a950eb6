package postgres

// The cluster-wide NOLOGIN group roles of the migrations (see the README).
const (
	// ApplicationRole holds the service's privileges; the DBA grants it to
	// the login role of DATABASE_URL.
	ApplicationRole = "configmat_app"
	// DirectoryRole owns the directory functions and is the only role the
	// directory's read-only policies name. Only the migration role may be a
	// member of it: a service connected as a member escapes row-level
	// security (CanBypassRLS reports it).
	DirectoryRole = "configmat_directory"
)
