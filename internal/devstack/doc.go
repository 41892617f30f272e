// Package devstack starts the local infrastructure that `herald dev` and the
// test suites need, without Docker or a system-wide service.
//
// Its main entry point is [StartPostgres], which creates (once) and runs a
// private PostgreSQL cluster from the PostgreSQL server binaries installed on
// the machine (see [FindPostgresBinaries]). The cluster listens on 127.0.0.1
// only, uses password (SCRAM-SHA-256) authentication for a superuser named
// "herald", and is reused across runs: its data, password and port are kept in
// the cluster directory.
//
// The package is implemented for Linux, macOS and the BSDs only.
package devstack
