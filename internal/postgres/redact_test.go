package postgres

import (
	"context"
	"strings"
	"testing"
)

func TestRedactURLHidesEveryFormOfPassword(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://herald:s3cret@db:5432/herald?sslmode=disable", "postgres://herald:xxxxx@db:5432/herald?sslmode=disable"},
		{"postgres://herald@db/herald", "postgres://herald@db/herald"},
		{"postgres://db/herald?user=herald&password=s3cret&sslmode=disable", "postgres://db/herald?user=herald&password=xxxxx&sslmode=disable"},
		{"postgres://herald:s3cret@db:badport/herald", "postgres://herald:xxxxx@db:badport/herald"},
		{"postgres://herald:s3%zz@cret@db/herald", "postgres://herald:xxxxx@db/herald"},
		{"host=db user=herald password=s3cret dbname=herald", "host=db user=herald password=xxxxx dbname=herald"},
		{"host=db password = 's3 cret' dbname=herald", "host=db password = xxxxx dbname=herald"},
		{"host=/var/run/postgresql dbname=herald", "host=/var/run/postgresql dbname=herald"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := RedactURL(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOpenErrorsDoNotHoldThePassword(t *testing.T) {
	for _, url := range []string{
		"postgres://herald:s3cret@127.0.0.1:badport/herald",
		"postgres://herald:s3%zzcret@127.0.0.1:1/herald",
		"postgres://herald:s3cret@127.0.0.1:1/herald?sslmode=bogus",
		"host=127.0.0.1 port=1 password=s3cret sslmode=bogus",
	} {
		t.Run(url, func(t *testing.T) {
			_, err := Open(context.Background(), url)
			if err == nil {
				t.Fatal("opened")
			}
			if strings.Contains(err.Error(), "s3") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}
