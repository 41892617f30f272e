// Package compose holds the test that keeps docker-compose.yml true: it loads the file with
// compose-go (the loader of `docker compose`, which validates it against the Compose
// Specification's JSON Schema) and checks it against go.mod, cmd/herald and the README. No
// Docker engine is needed. The package has no code.
package compose
