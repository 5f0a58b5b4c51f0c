// Command bench times create+start+wait+delete cycles of /bin/true under
// sprout, runc and crun, interleaved in one run, and checks sprout's speed
// and peak RSS against its targets.
//
// The cycles are run by the bench binary itself, re-executed as runners
// that serve requests over a pipe and time each cycle: one in the host mount
// namespace for sprout and runc, one in a private mount namespace with
// cgroup2 on /sys/fs/cgroup for crun.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

type config struct {
	n         int
	warmup    int
	execN     int
	many      int
	parallel  int
	scale     string
	scenarios string
	runtimes  string
	binaries  map[string]*string
	busybox   string
	timeout   time.Duration
}

// Runtime names as -runtimes accepts them; sprout is mandatory because every
// target compares against it.
const (
	nameSprout = "sprout"
	nameRunc   = "runc"
	nameCrun   = "crun"
)

func main() {
	cfg := config{binaries: map[string]*string{}}
	flag.IntVar(&cfg.n, "n", 50, "measured cycles per runtime")
	flag.IntVar(&cfg.warmup, "warmup", 3, "uncounted warm-up cycles per runtime")
	flag.IntVar(&cfg.execN, "exec-n", 0, "measured execs per runtime in the exec scenario (default -n)")
	flag.IntVar(&cfg.many, "many", 100, "containers per runtime in the many scenario")
	flag.IntVar(&cfg.parallel, "parallel", 10, "commands in flight at once in the many scenario")
	flag.StringVar(&cfg.scale, "scale", "10,100,500", "container counts sprout's per-container cost is measured at")
	flag.StringVar(&cfg.scenarios, "scenarios", "cycle,exec,many", "scenarios to run, comma-separated")
	flag.StringVar(&cfg.runtimes, "runtimes", "sprout,runc,crun", "comma-separated runtimes to run; sprout is required")
	cfg.binaries[nameSprout] = flag.String("sprout", "./sprout", "sprout binary")
	cfg.binaries[nameRunc] = flag.String("runc", "/usr/sbin/runc", "runc binary; also generates config.json")
	cfg.binaries[nameCrun] = flag.String("crun", "/usr/bin/crun", "crun binary")
	flag.StringVar(&cfg.busybox, "busybox", "/bin/busybox", "static busybox for the rootfs")
	flag.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "limit for each runtime command and for the container to exit")
	mode := flag.String("runner", "", "internal: serve cycles on fds 3 and 4 (host or cgroup2)")
	hostMntNS := flag.String("host-mntns", "", "internal: the bench's mount namespace, which a cgroup2 runner must not be in")
	flag.Parse()

	if *mode != "" {
		if err := serve(*mode, *hostMntNS); err != nil {
			fmt.Fprintf(os.Stderr, "bench runner (%s): %v\n", *mode, err)
			os.Exit(1)
		}
		return
	}
	if err := run(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// runtime is one runtime under test.
type runtime struct {
	name    string
	binary  string
	global  []string
	private bool // served by the cgroup2 runner
	runner  *runner
	results []cycleResult
}

func run(cfg config) error {
	if cfg.n < 1 || cfg.warmup < 0 {
		return fmt.Errorf("-n must be at least 1 and -warmup not negative (got %d, %d)", cfg.n, cfg.warmup)
	}
	if os.Geteuid() != 0 {
		return errors.New("must run as root")
	}
	rts, err := selectRuntimes(cfg)
	if err != nil {
		return err
	}
	base, err := os.MkdirTemp("", "sprout-bench-")
	if err != nil {
		return fmt.Errorf("create temp dir: %w", err)
	}
	defer os.RemoveAll(base)

	// config.json comes from runc, the reference CLI, when it is installed.
	specTool := rts[0].binary
	if p, err := exec.LookPath(*cfg.binaries[nameRunc]); err == nil {
		specTool = p
	}
	bundle := filepath.Join(base, "bundle")
	if err := buildBundle(bundle, cfg.busybox, specTool); err != nil {
		return err
	}
	for _, rt := range rts {
		root := filepath.Join(base, rt.name)
		if err := os.Mkdir(root, 0o700); err != nil {
			return fmt.Errorf("create --root for %s: %w", rt.name, err)
		}
		rt.global = append([]string{"--root", filepath.Join(root, "state")}, rt.global...)
	}

	runners, err := startRunners(rts)
	defer func() {
		for _, r := range runners {
			if cerr := r.close(); cerr != nil {
				fmt.Fprintf(os.Stderr, "bench: %v\n", cerr)
			}
		}
	}()
	if err != nil {
		return err
	}

	var stop atomic.Bool
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		<-sigs
		stop.Store(true)
	}()

	want, err := parseScenarios(cfg.scenarios)
	if err != nil {
		return err
	}
	// Process start cost differs between machines of this kind by about 4x;
	// these figures, printed beside every result, tell which kind this is.
	vers := versionTimes(rts)
	printVersionTimes(os.Stdout, rts, vers)
	interrupted := func() error {
		if stop.Load() {
			return errors.New("interrupted")
		}
		return nil
	}
	if want[scenarioCycle] {
		if err := runCycles(cfg, rts, base, bundle, interrupted); err != nil {
			return err
		}
		report(os.Stdout, rts)
	}
	long := filepath.Join(base, "bundle-sleep")
	if want[scenarioExec] || want[scenarioMany] {
		if err := writeLongBundle(long, bundle); err != nil {
			return err
		}
	}
	if want[scenarioExec] {
		n := cfg.execN
		if n == 0 {
			n = cfg.n
		}
		ex, err := runExec(rts, base, long, n, cfg.warmup, cfg.timeout, interrupted)
		if err != nil {
			return err
		}
		reportExec(os.Stdout, rts, ex)
	}
	if want[scenarioMany] {
		mr, err := runMany(cfg, rts, long, interrupted)
		if err != nil {
			return err
		}
		reportMany(os.Stdout, cfg, mr)
	}
	printVersionTimes(os.Stdout, rts, vers)
	return nil
}

// runCycles runs the lifecycle scenario, interleaved, the order rotating.
func runCycles(cfg config, rts []*runtime, base, bundle string, interrupted func() error) error {
	fmt.Printf("\n%d cycles (+%d warm-up) of create+start+wait+delete of /bin/true per runtime, order rotating:", cfg.n, cfg.warmup)
	for _, rt := range rts {
		fmt.Printf(" %s", rt.name)
	}
	fmt.Println()
	for i := range cfg.warmup + cfg.n {
		for k := range rts {
			rt := rts[(i+k)%len(rts)]
			res, err := rt.cycle(base, bundle, i, cfg.timeout)
			if err != nil {
				return err
			}
			if i >= cfg.warmup {
				rt.results = append(rt.results, res)
			}
		}
		if err := interrupted(); err != nil {
			return err
		}
	}
	return nil
}

// selectRuntimes resolves the -runtimes list, skipping a missing runc or
// crun with a line saying so.
func selectRuntimes(cfg config) ([]*runtime, error) {
	var rts []*runtime
	seen := map[string]bool{}
	for _, name := range strings.Split(cfg.runtimes, ",") {
		name = strings.TrimSpace(name)
		bin, known := cfg.binaries[name]
		if !known {
			return nil, fmt.Errorf("-runtimes: unknown runtime %q (want sprout, runc, crun)", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("-runtimes: %s listed twice", name)
		}
		seen[name] = true
		path, err := exec.LookPath(*bin)
		if err != nil {
			if name == nameSprout {
				return nil, fmt.Errorf("sprout binary %s: %w (build it, or pass -sprout)", *bin, err)
			}
			fmt.Printf("skipping %s: %s not found\n", name, *bin)
			continue
		}
		if path, err = filepath.Abs(path); err != nil {
			return nil, fmt.Errorf("%s binary %s: %w", name, *bin, err)
		}
		rt := &runtime{name: name, binary: path}
		if name == nameCrun {
			// crun rejects hybrid cgroups; in the runner's namespace it sees
			// only cgroup2, and leaving cgroups alone keeps it off the host's.
			rt.global = []string{"--cgroup-manager=disabled"}
			rt.private = true
		}
		rts = append(rts, rt)
	}
	if !seen[nameSprout] {
		return nil, errors.New("-runtimes must include sprout")
	}
	return rts, nil
}

func (rt *runtime) cycle(base, bundle string, i int, timeout time.Duration) (cycleResult, error) {
	id := fmt.Sprintf("sprout-bench-%d-%s-%d", os.Getpid(), rt.name, i)
	return rt.do(fmt.Sprintf("cycle %d", i), cycleRequest{
		Op:      opCycle,
		Bundle:  bundle,
		ID:      id,
		PidFile: filepath.Join(base, rt.name, id+".pid"),
		Timeout: timeout,
	})
}

// do sends one request to the runtime's runner; what names it in errors.
func (rt *runtime) do(what string, req cycleRequest) (cycleResult, error) {
	req.Binary, req.Global = rt.binary, rt.global
	res, err := rt.runner.cycle(req)
	if err != nil {
		return res, fmt.Errorf("%s %s: %w", rt.name, what, err)
	}
	if res.Err != "" {
		return res, fmt.Errorf("%s %s: %s", rt.name, what, res.Err)
	}
	return res, nil
}

// runner is a re-executed bench binary serving cycles.
type runner struct {
	cmd  *exec.Cmd
	reqW *os.File
	enc  *json.Encoder
	dec  *json.Decoder
	resR *os.File
}

// startRunners starts the runners the runtimes need and assigns them. The
// runners returned must be closed even with an error.
func startRunners(rts []*runtime) ([]*runner, error) {
	var runners []*runner
	var host, private *runner
	for _, rt := range rts {
		slot := &host
		if rt.private {
			slot = &private
		}
		if *slot == nil {
			r, err := startRunner(rt.private)
			if err != nil {
				return runners, err
			}
			runners = append(runners, r)
			*slot = r
		}
		rt.runner = *slot
	}
	return runners, nil
}

func startRunner(private bool) (*runner, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	var cmd *exec.Cmd
	if private {
		ns, err := os.Readlink("/proc/self/ns/mnt")
		if err != nil {
			return nil, fmt.Errorf("read own mount namespace: %w", err)
		}
		// unshare(1) execs the runner in place, so it is our child and the
		// namespace dies with it.
		cmd = exec.Command("unshare", "-m", "--propagation", "private", self, "-runner", runnerCgroup2, "-host-mntns", ns)
	} else {
		cmd = exec.Command(self, "-runner", runnerHost)
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("runner request pipe: %w", err)
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("runner result pipe: %w", err)
	}
	cmd.ExtraFiles = []*os.File{reqR, resW} // fds 3 and 4
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	// Its own process group keeps a terminal's ^C away from the runner and
	// the runtimes, so an interrupted bench still finishes and cleans up the
	// cycle in flight.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	reqR.Close()
	resW.Close()
	if err != nil {
		reqW.Close()
		resR.Close()
		return nil, fmt.Errorf("start runner %s: %w", cmd.Path, err)
	}
	return &runner{cmd: cmd, reqW: reqW, enc: json.NewEncoder(reqW), dec: json.NewDecoder(resR), resR: resR}, nil
}

func (r *runner) cycle(req cycleRequest) (cycleResult, error) {
	var res cycleResult
	if err := r.enc.Encode(req); err != nil {
		return res, fmt.Errorf("send to runner: %w", err)
	}
	if err := r.dec.Decode(&res); err != nil {
		return res, fmt.Errorf("runner died (see its stderr above): %w", err)
	}
	return res, nil
}

// close ends the runner by closing its request pipe, and waits for it.
func (r *runner) close() error {
	r.reqW.Close()
	err := r.cmd.Wait()
	r.resR.Close()
	if err != nil {
		return fmt.Errorf("runner %v: %w", r.cmd.Args, err)
	}
	return nil
}
