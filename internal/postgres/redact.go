package postgres

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// masked replaces a password wherever a database URL is printed, logged or returned in an error.
const masked = "xxxxx"

// dsnPassword matches the password of a key=value connection string (password=s3cret or
// password='s 3cret'), and a password parameter in a URL's query.
var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)`)

// RedactURL is a database URL (postgres://... or key=value) fit to print: its password, in
// the user info or as a password parameter, is replaced by xxxxx. A URL that does not parse
// loses everything between its scheme and its last @ but the user name, since where the
// password ends cannot be told.
func RedactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if u, err := url.Parse(s); err == nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), masked)
			}
			s = u.String()
		} else if at := strings.LastIndex(s, "@"); at > i {
			user, _, _ := strings.Cut(s[i+3:at], ":")
			s = s[:i+3] + user + ":" + masked + s[at:]
		}
	}
	return dsnPassword.ReplaceAllString(s, "${1}"+masked)
}

// redactError hides the password of a database URL that lib/pq quotes in an error: a URL that
// does not parse comes back as a *url.Error holding all of it.
func redactError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		uerr.URL = RedactURL(uerr.URL)
	}
	return err
}
