package domain

// Limits that protect the service. They are part of the contract: a request
// beyond one answers 400 VALIDATION_ERROR naming the field.
const (
	// MaxValueBytes is the largest JSON encoding of one value (64 KiB).
	MaxValueBytes = 64 << 10
	// MaxValueDepth is how deeply arrays and objects may nest in one value.
	MaxValueDepth = 64
	// MaxKeysPerEnvironment is the most keys one asset may hold in one environment.
	MaxKeysPerEnvironment = 5000
	// MaxNameLength is the longest tenant, asset or API key display name, in characters.
	MaxNameLength = 200
	// MaxDescriptionLength is the longest asset description, in characters.
	MaxDescriptionLength = 2000
	// MaxMessageLength is the longest version message, in characters.
	MaxMessageLength = 1000
	// MaxEmailLength is the longest email address.
	MaxEmailLength = 254
	// MinPasswordLength and MaxPasswordLength bound passwords, in bytes.
	MinPasswordLength = 10
	MaxPasswordLength = 1024
	// MaxEnvironments is the most environments a tenant may have.
	MaxEnvironments = 50
	// MaxVersion is the highest version number an environment can reach
	// (the stores keep 32-bit version numbers).
	MaxVersion = 1<<31 - 1
	// MaxPageSize and DefaultPageSize bound listings.
	MaxPageSize     = 200
	DefaultPageSize = 50
)
