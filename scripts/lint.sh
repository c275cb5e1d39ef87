#!/usr/bin/env bash
# Checks formatting with gofmt and runs golangci-lint (pinned version, built
# from source with the local Go toolchain and cached in $(go env GOPATH)/bin).
#
#   scripts/lint.sh               lint ./...
#   scripts/lint.sh ./resolver/... extra arguments replace ./...
set -euo pipefail

GOLANGCI_LINT_VERSION=v2.15.0

cd "$(dirname "$0")/.."

gobin="$(go env GOBIN)"
[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"
lint="$gobin/golangci-lint"

want="${GOLANGCI_LINT_VERSION#v}"
have=""
if [[ -x "$lint" ]]; then
	have="$("$lint" --version 2>/dev/null | sed -n 's/.*version \([^ ]*\).*/\1/p')" || have=""
fi
if [[ "$have" != "$want" ]]; then
	echo "== installing golangci-lint $GOLANGCI_LINT_VERSION into $gobin"
	GOBIN="$gobin" go install \
		"github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
fi
"$lint" --version

echo "== gofmt -l"
unformatted="$(find . -name '*.go' -type f \
	-not -path './.git/*' -not -path './vendor/*' -not -path '*/testdata/*' \
	-print0 | xargs -0 -r gofmt -l)"
if [[ -n "$unformatted" ]]; then
	echo "these files need gofmt -w:" >&2
	while IFS= read -r f; do
		printf '  %s\n' "$f" >&2
	done <<<"$unformatted"
	exit 1
fi

echo "== golangci-lint config verify"
"$lint" config verify

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(./...)
echo "== golangci-lint run ${targets[*]}"
"$lint" run "${targets[@]}"
echo "== lint ok"
