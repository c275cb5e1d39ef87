package tenantsetup

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// EnvFile is the file of KEY=VALUE settings read from the working
// directory when present; the environment wins over it.
const EnvFile = "tenantplugin.env"

// The environment variables of [Settings].
const (
	EnvTenants  = "TENANTPLUGIN_TENANTS"
	EnvService  = "TENANTPLUGIN_SERVICE"
	EnvReserved = "TENANTPLUGIN_RESERVED"
	EnvBypass   = "TENANTPLUGIN_BYPASS"
)

// singlePrefix starts a TENANTPLUGIN_TENANTS of one tenant on the
// application's own database.
const singlePrefix = "single:"

// Settings are what [Open] builds from.
type Settings struct {
	// Tenants says where the tenants are: a Redis URL, a tenant config
	// file's path, or "single:ID". Required.
	Tenants string
	// Service is the service whose tenants are served. Default: the
	// tenant config file's only service; required with Redis.
	Service string
	// Reserved maps a reserved alias to the tables and model type names
	// that stay on it.
	Reserved map[string][]string
	// Bypass are URL path patterns that need no tenant.
	Bypass []string
}

// FromEnv reads the settings from getenv, and from [EnvFile] in the
// working directory for the variables getenv leaves empty. A nil getenv
// is os.Getenv.
func FromEnv(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	file, err := readEnvFile(EnvFile)
	if err != nil {
		return Settings{}, err
	}
	get := func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return file[k]
	}
	s := Settings{
		Tenants: strings.TrimSpace(get(EnvTenants)),
		Service: strings.TrimSpace(get(EnvService)),
	}
	if s.Reserved, err = parseReserved(get(EnvReserved)); err != nil {
		return Settings{}, err
	}
	s.Bypass = splitList(get(EnvBypass), ",")
	return s, nil
}

// readEnvFile reads KEY=VALUE lines; blank lines and lines starting
// with # are skipped. A missing file is no setting. Only this package's
// variables are allowed, so that a typo is told, not ignored.
func readEnvFile(name string) (map[string]string, error) {
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	defer f.Close()
	known := []string{EnvTenants, EnvService, EnvReserved, EnvBypass}
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: %s:%d: want KEY=VALUE", ErrConfig, name, n)
		case !slices.Contains(known, k):
			return nil, fmt.Errorf("%w: %s:%d: unknown setting %q (known: %s)", ErrConfig, name, n, k, strings.Join(known, ", "))
		}
		out[k] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	return out, nil
}

// parseReserved parses ALIAS=NAME,NAME;ALIAS=NAME.
func parseReserved(v string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, part := range splitList(v, ";") {
		alias, names, ok := strings.Cut(part, "=")
		alias = strings.TrimSpace(alias)
		list := splitList(names, ",")
		switch {
		case !ok || alias == "":
			return nil, fmt.Errorf("%w: %s: %q: want ALIAS=NAME,NAME", ErrConfig, EnvReserved, part)
		case len(list) == 0:
			return nil, fmt.Errorf("%w: %s: alias %q names no table or model", ErrConfig, EnvReserved, alias)
		case out[alias] != nil:
			return nil, fmt.Errorf("%w: %s: alias %q given twice", ErrConfig, EnvReserved, alias)
		}
		out[alias] = list
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// splitList splits v on sep, trimming spaces and dropping empty items.
func splitList(v, sep string) []string {
	var out []string
	for s := range strings.SplitSeq(v, sep) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
