# sprout: `make demo` and `make test` set everything up on a fresh Debian 12
# machine (as root) and need nothing else.

GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
VERSION ?= 0.1.0-dev
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
PKGS    := busybox-static libseccomp-dev pkg-config runc crun

.PHONY: all sprout deps demo test unit integration vm conformance bench lint clean

all: sprout

deps:
	@bash tests/install-deps.sh $(PKGS)

sprout: deps
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o sprout .

demo: sprout
	@bash tests/demo.sh ./sprout

lint: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...

unit: sprout
	$(GO) test -count=1 ./spec/ ./capabilities/ ./seccomp/ ./cgroups/ ./libcontainer/...

integration: sprout
	SPROUT_BIN=$(CURDIR)/sprout $(GO) test -count=1 -timeout 20m ./tests/integration/

vm: sprout
	@bash tests/vm/test-tier.sh $(CURDIR)/sprout

test: lint unit integration vm

conformance: sprout
	bash tests/conformance/run.sh $(CURDIR)/sprout /usr/sbin/runc

bench: sprout
	SPROUT=$(CURDIR)/sprout bash tests/bench/run.sh

clean:
	rm -f sprout
