// Package deploy holds no Go code: it is the home of Sillage's deployment
// files (systemd, container image, docker compose, Helm chart, monitoring,
// backup scripts) and of deploy_test.go, which renders, parses, lints and,
// where this machine allows, runs them. See README.md in this folder.
package deploy
