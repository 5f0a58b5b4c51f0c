# sprout: `make demo` and `make test` set everything up on a fresh Debian 12
# machine (as root) and need nothing else.

GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
VERSION ?= 0.1.0-dev
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# A static binary starts faster (no dynamic loader, no relocations of libc
# and libseccomp), and every container start runs it four times. It links
# musl and a libseccomp built for it (seccomp/libseccomp-musl.sh): glibc's
# static start-up costs ~0.5 ms a process more. Tests and vet build with
# the system's glibc and libseccomp-dev.
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -linkmode external -extldflags -static
MUSLSECCOMP := $(CURDIR)/.build/libseccomp-musl
# Go 1.26's default collector (greenteagc) writes mark bits at the end of
# every small-object span it hands out, so a span holding one object keeps
# two pages resident where the older collector touches one. sprout's
# commands allocate a few hundred KB over ~80 spans and exit before any
# collection: the older one keeps 100-200 KB less of them resident.
GOEXPERIMENT ?= nogreenteagc
# urfave_cli_no_docs drops the markdown/man generators and their init cost.
TAGS    := urfave_cli_no_docs netgo osusergo
STATICCHECK := v0.8.2
PKGS    := busybox-static libseccomp-dev pkg-config musl-tools gperf dpkg-dev runc crun uidmap strace

.PHONY: all sprout deps demo test unit fuzz fuzz-short integration fault faults soak vm vm-systemd conformance engines cri runc-bats bench lint clean checkpoint

all: sprout

deps:
	@bash tests/install-deps.sh $(PKGS)

sprout: deps
	@bash seccomp/libseccomp-musl.sh $(MUSLSECCOMP)
	GOEXPERIMENT=$(GOEXPERIMENT) CC=musl-gcc CGO_ENABLED=1 CGO_CFLAGS='-O2 -isystem $(MUSLSECCOMP)/kernel-headers' \
		PKG_CONFIG_PATH=$(MUSLSECCOMP)/lib/pkgconfig \
		$(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o sprout .

demo: sprout
	@bash tests/demo.sh ./sprout

lint: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) ./...

unit: sprout
	$(GO) test -count=1 . ./spec/ ./capabilities/ ./seccomp/ ./cgroups/... ./libcontainer/... ./tests/harness/
	GO=$(GO) bash tests/unit-nonroot.sh

# Go fuzz targets, as package:function; `make fuzz` runs each for
# FUZZTIME, `make test` for 100000 inputs (10-20 s). A count, not a time:
# on a loaded machine a time budget can end with the fuzzer's own
# "context deadline exceeded" failure. A crasher is saved under the
# package's testdata/fuzz and replayed by `make unit` from then on.
FUZZ     := ./spec:FuzzConfig ./spec:FuzzValidateFields ./spec:FuzzMountOptions ./libcontainer:FuzzValidateID .:FuzzParseSignal
FUZZTIME ?= 60s

fuzz: deps
	@set -e; for t in $(FUZZ); do echo "fuzz $$t for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}"; done

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=100000x

integration: sprout
	SPROUT_BIN=$(CURDIR)/sprout $(GO) test -count=1 -timeout 20m ./tests/integration/

# The fault tier kills sprout at each step of its commands (tests/fault).
# A private mount namespace keeps other mounts of the host out of the
# soak's mount count.
FAULTTEST = SPROUT_BIN=$(CURDIR)/sprout unshare -m --propagation private $(GO) test -count=1 -timeout 60m

fault: sprout
	$(FAULTTEST) ./tests/fault/

faults: sprout
	SPROUT_RANDOM_KILLS=300 $(FAULTTEST) -v -run TestRandomKill ./tests/fault/

soak: sprout
	SPROUT_SOAK_CYCLES=1000 $(FAULTTEST) -v -run TestSoak ./tests/fault/

vm: sprout
	@bash tests/vm/test-tier.sh $(CURDIR)/sprout

vm-systemd: sprout
	@bash tests/vm/test-tier.sh --systemd $(CURDIR)/sprout

test: lint unit fuzz-short integration fault checkpoint vm vm-systemd conformance engines cri

# criu built from source (tests/criu/build.sh): bookworm's 3.17 does not
# work on kernels as new as this host's.
checkpoint: sprout
	@bash tests/criu/build.sh $(CURDIR)/.build/criu
	SPROUT_BIN=$(CURDIR)/sprout SPROUT_CRIU=$(CURDIR)/.build/criu/criu $(GO) test -count=1 -timeout 20m -v ./tests/checkpoint/

conformance: sprout
	bash tests/conformance/run.sh $(CURDIR)/sprout /usr/sbin/runc

engines: sprout
	bash tests/engines/run.sh --also-runc $(CURDIR)/sprout

cri: sprout
	bash tests/cri/run.sh $(CURDIR)/sprout /usr/sbin/runc

# runc's own bats suite with sprout as the binary under test; not in test
# (it takes long, and sprout deliberately fails some of it: tests/README.md).
runc-bats: sprout
	bash tests/runc-bats/run.sh $(CURDIR)/sprout

bench: sprout
	SPROUT=$(CURDIR)/sprout bash tests/bench/run.sh

clean:
	rm -rf sprout .build
