package tenantfile

import (
	"bytes"
	_ "embed" // Schema
	"errors"
	"strconv"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// FileName is the usual name of the tenant config file.
const FileName = "tenant_config.json"

//go:embed tenant_config.schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of the tenant config
// file, for editors and other tools: a copy, which the caller may keep.
// [Parse] checks everything the schema does, and a few things it cannot
// express (see the package documentation).
func Schema() []byte { return bytes.Clone(schema) }

// ErrInvalid is wrapped by every error for a file, a mapping or a
// deployment value that is not valid.
var ErrInvalid = errors.New("tenantfile: invalid tenant config")

// File is a parsed tenant config file.
type File struct {
	// MappingMetadata maps deployment keys (such as POSTGRES_URL) to
	// config paths (such as orm_config.gorm.default.dsn); see [Deploy].
	MappingMetadata map[string]string `json:"mapping_metadata,omitempty"`
	// Tenants maps a tenant id to a service name to the tenant's
	// configuration for that service. Never nil after [Parse].
	Tenants map[string]map[string]tenantconfig.Config `json:"tenant_config"`
}

// Service returns every tenant that has the named service, with its
// configuration for it. The configs are shared with f, not copied.
func (f *File) Service(name string) map[string]tenantconfig.Config {
	out := make(map[string]tenantconfig.Config)
	for tenant, services := range f.Tenants {
		if c, ok := services[name]; ok {
			out[tenant] = c
		}
	}
	return out
}

// Parse reads and validates a tenant config file. On any problem it
// returns a nil File and a [*ValidationError] that lists every problem
// found, each with its JSON path, and wraps [ErrInvalid]. A bad option is
// refused first, with an error naming it that does not wrap ErrInvalid.
func Parse(data []byte, opts ...Option) (*File, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	root, p := decode(data)
	if p != nil {
		return nil, &ValidationError{Problems: []Problem{*p}}
	}
	c := checker{opts: o}
	f := c.file(root)
	if len(c.problems) > 0 {
		return nil, &ValidationError{Problems: c.problems}
	}
	return f, nil
}

// Problem is one thing wrong, and where.
type Problem struct {
	// Path is a JSON path (RFC 9535 normalized form, with shorthand
	// .name where the name allows it) to the value at fault, such as
	// $.tenant_config["tenant-1.localhost"].hospital.orm_config.gorm.default.driver.
	Path string
	// Message says what is wrong. It never quotes a DSN, a password or a
	// URL from the input.
	Message string
}

// String returns "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError lists every problem found. It wraps [ErrInvalid].
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one per line when there are several.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalid.Error())
	switch len(e.Problems) {
	case 0:
	case 1:
		b.WriteString(": ")
		b.WriteString(e.Problems[0].String())
	default:
		b.WriteString(": ")
		b.WriteString(strconv.Itoa(len(e.Problems)))
		b.WriteString(" problems:")
		for _, p := range e.Problems {
			b.WriteString("\n\t")
			b.WriteString(p.String())
		}
	}
	return b.String()
}

// Unwrap returns [ErrInvalid].
func (e *ValidationError) Unwrap() error { return ErrInvalid }
