package pgdriver

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// maxNameLen is the longest database or user name PostgreSQL reads:
// it cuts a longer one in the startup packet (NAMEDATALEN - 1), so two
// names that share their first 63 bytes reach the same database.
const maxNameLen = 63

// checkConfig refuses settings that could only fail when used, or that
// the server would read otherwise than written: NUL bytes (C strings on
// the server end at them), names PostgreSQL would cut, a bracketed or
// malformed host, an empty run-time parameter name. Its errors never
// quote a password.
func checkConfig(cc *pgx.ConnConfig) error {
	for _, f := range []struct{ name, v string }{
		{"host", cc.Host}, {"database", cc.Database}, {"user", cc.User}, {"password", cc.Password},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return errors.New("pgdriver: " + f.name + " holds a NUL byte")
		}
	}
	if err := checkHost(cc.Host); err != nil {
		return err
	}
	for _, fb := range cc.Fallbacks {
		if err := checkHost(fb.Host); err != nil {
			return err
		}
	}
	if len(cc.Database) > maxNameLen {
		return errors.New("pgdriver: database name of " + strconv.Itoa(len(cc.Database)) +
			" bytes: PostgreSQL reads at most 63, and two longer names that start alike would reach the same database")
	}
	if len(cc.User) > maxNameLen {
		return errors.New("pgdriver: user name of " + strconv.Itoa(len(cc.User)) + " bytes: PostgreSQL reads at most 63")
	}
	for k, v := range cc.RuntimeParams {
		switch {
		case k == "":
			return errors.New("pgdriver: a run-time parameter has an empty name")
		case strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0:
			return errors.New("pgdriver: run-time parameter " + strconv.Quote(strings.ReplaceAll(k, "\x00", "")) + " holds a NUL byte")
		}
	}
	return nil
}

// checkHost refuses a host with brackets (pgx takes an IPv6 address
// without them) or spaces.
func checkHost(h string) error {
	if strings.ContainsAny(h, "[] \t\r\n") {
		return errors.New("pgdriver: host " + strconv.Quote(h) + " is not a host name, an IP address (IPv6 without brackets) or a socket directory")
	}
	return nil
}
