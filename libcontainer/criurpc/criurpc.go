// Package criurpc encodes the requests and decodes the answers of criu's
// RPC (the protobuf messages of criu's rpc.proto, as go-criu generates
// them), for the fields sprout uses. It is written on encoding/binary
// rather than on go-criu's generated types because those bring the
// protobuf runtime into the binary, and every sprout process (four per
// container) would pay for it: 1.4 MB more peak RSS and ~0.25 ms of
// package initialisation, measured on `sprout list`. The tests check the
// bytes against go-criu's own types.
package criurpc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ReqType is criu_req_type.
type ReqType int32

// The request types sprout sends.
const (
	Dump         ReqType = 1
	Restore      ReqType = 2
	PreDump      ReqType = 4
	Notify       ReqType = 6
	FeatureCheck ReqType = 9
	Version      ReqType = 10
)

func (t ReqType) String() string {
	switch t {
	case Dump:
		return "DUMP"
	case Restore:
		return "RESTORE"
	case PreDump:
		return "PRE_DUMP"
	case Notify:
		return "NOTIFY"
	case FeatureCheck:
		return "FEATURE_CHECK"
	case Version:
		return "VERSION"
	}
	return fmt.Sprintf("type %d", int32(t))
}

// CgMode is criu_cg_mode.
type CgMode int32

// The cgroup modes runc's --manage-cgroups-mode names.
const (
	CgIgnore CgMode = 0
	CgSoft   CgMode = 3
	CgFull   CgMode = 4
	CgStrict CgMode = 5
)

// ExtMount is ext_mount_map: on dump the mount point and the name it gets
// in the images, on restore that name and the host path to bind.
type ExtMount struct{ Key, Val string }

// InheritFd is inherit_fd: criu's fd Fd takes the place of the file the
// images call Key.
type InheritFd struct {
	Key string
	Fd  int32
}

// CgroupRoot is cgroup_root: the cgroup that replaces the dumped root one
// in controller Ctrl (all controllers when empty).
type CgroupRoot struct{ Ctrl, Path string }

// PageServer is criu_page_server_info: where a page server listens.
type PageServer struct {
	Address string
	Port    int32
}

// Opts is criu_opts, the fields sprout sets. Zero values are left out,
// and criu applies its defaults.
type Opts struct {
	ImagesDirFd     int32
	Pid             int32
	LeaveRunning    bool
	ExtUnixSk       bool
	TCPEstablished  bool
	ShellJob        bool
	FileLocks       bool
	LogLevel        int32
	LogFile         string
	Ps              *PageServer
	NotifyScripts   bool
	Root            string
	ParentImg       string
	TrackMem        bool
	AutoDedup       bool
	WorkDirFd       int32
	ExtMnt          []ExtMount
	ManageCgroups   bool
	CgRoot          []CgroupRoot
	RstSibling      bool
	InheritFd       []InheritFd
	CgMode          *CgMode
	External        []string
	EmptyNs         uint32
	FreezeCgroup    string
	LazyPages       bool
	StatusFd        *int32
	OrphanPtsMaster bool
	ConfigFile      string
	MntnsCompatMode bool
}

// Features is criu_features.
type Features struct{ MemTrack, LazyPages bool }

// Req is criu_req.
type Req struct {
	Type          ReqType
	Opts          *Opts
	NotifySuccess bool
	Features      *Features
}

// Resp is criu_resp, the fields sprout reads.
type Resp struct {
	Type         ReqType
	Success      bool
	RestoredPid  int32 // restore.pid
	NotifyScript string
	NotifyPid    int32
	CrErrno      int32
	CrErrmsg     string
	Features     *Features
	// Version is major*10000 + minor*100 + sublevel, 0 if not sent.
	Version int
}

// Marshal encodes r.
func (r *Req) Marshal() []byte {
	var b enc
	b.varint(1, uint64(r.Type))
	if r.Opts != nil {
		b.bytes(2, r.Opts.marshal())
	}
	b.boolean(3, r.NotifySuccess)
	if r.Features != nil {
		b.message(5, r.Features.put)
	}
	return b
}

func (o *Opts) marshal() enc {
	var b enc
	// images_dir_fd is required.
	b.varint(1, uint64(int64(o.ImagesDirFd)))
	b.int32(2, o.Pid)
	b.boolean(3, o.LeaveRunning)
	b.boolean(4, o.ExtUnixSk)
	b.boolean(5, o.TCPEstablished)
	b.boolean(7, o.ShellJob)
	b.boolean(8, o.FileLocks)
	b.int32(9, o.LogLevel)
	b.str(10, o.LogFile)
	if o.Ps != nil {
		b.message(11, o.Ps.put)
	}
	b.boolean(12, o.NotifyScripts)
	b.str(13, o.Root)
	b.str(14, o.ParentImg)
	b.boolean(15, o.TrackMem)
	b.boolean(16, o.AutoDedup)
	b.int32(17, o.WorkDirFd)
	repeated(&b, 23, o.ExtMnt)
	b.boolean(24, o.ManageCgroups)
	repeated(&b, 25, o.CgRoot)
	b.boolean(26, o.RstSibling)
	repeated(&b, 27, o.InheritFd)
	if o.CgMode != nil {
		b.varint(34, uint64(*o.CgMode))
	}
	for _, x := range o.External {
		b.bytes(37, []byte(x))
	}
	if o.EmptyNs != 0 {
		b.varint(38, uint64(o.EmptyNs))
	}
	b.str(44, o.FreezeCgroup)
	b.boolean(48, o.LazyPages)
	if o.StatusFd != nil {
		b.varint(49, uint64(int64(*o.StatusFd)))
	}
	b.boolean(50, o.OrphanPtsMaster)
	b.str(51, o.ConfigFile)
	b.boolean(65, o.MntnsCompatMode)
	return b
}

// enc appends protobuf fields: a key (field number and wire type), then a
// varint or a length and bytes.
type enc []byte

func (b *enc) key(field, wire int) {
	*b = binary.AppendUvarint(*b, uint64(field)<<3|uint64(wire))
}

func (b *enc) varint(field int, v uint64) {
	b.key(field, 0)
	*b = binary.AppendUvarint(*b, v)
}

// int32 and the others below leave a zero value out.
func (b *enc) int32(field int, v int32) {
	if v != 0 {
		b.varint(field, uint64(int64(v)))
	}
}

func (b *enc) boolean(field int, v bool) {
	if v {
		b.varint(field, 1)
	}
}

func (b *enc) str(field int, s string) {
	if s != "" {
		b.bytes(field, []byte(s))
	}
}

func (b *enc) bytes(field int, p []byte) {
	b.key(field, 2)
	*b = binary.AppendUvarint(*b, uint64(len(p)))
	*b = append(*b, p...)
}

// message appends an embedded message whose fields put writes.
func (b *enc) message(field int, put func(e *enc)) {
	var e enc
	put(&e)
	b.bytes(field, e)
}

// repeated appends one embedded message per element of ms.
func repeated[M interface{ put(e *enc) }](b *enc, field int, ms []M) {
	for _, m := range ms {
		b.message(field, m.put)
	}
}

// The put methods write a message's fields. key and val of
// ext_mount_map, key of inherit_fd and path of cgroup_root are required:
// sent even when empty.

func (m ExtMount) put(e *enc)    { e.bytes(1, []byte(m.Key)); e.bytes(2, []byte(m.Val)) }
func (c CgroupRoot) put(e *enc)  { e.str(1, c.Ctrl); e.bytes(2, []byte(c.Path)) }
func (f InheritFd) put(e *enc)   { e.bytes(1, []byte(f.Key)); e.varint(2, uint64(int64(f.Fd))) }
func (p *PageServer) put(e *enc) { e.str(1, p.Address); e.int32(2, p.Port) }
func (f *Features) put(e *enc)   { e.boolean(1, f.MemTrack); e.boolean(2, f.LazyPages) }

// Unmarshal decodes a criu_resp.
func Unmarshal(data []byte) (*Resp, error) {
	r := &Resp{}
	var major, minor, sub int
	err := fields(data, func(field int, v uint64, p []byte) error {
		var err error
		switch field {
		case 1:
			r.Type = ReqType(int32(v))
		case 2:
			r.Success = v != 0
		case 4:
			err = fields(p, func(f int, v uint64, _ []byte) error {
				if f == 1 {
					r.RestoredPid = int32(v)
				}
				return nil
			})
		case 5:
			err = fields(p, func(f int, v uint64, p []byte) error {
				switch f {
				case 1:
					r.NotifyScript = string(p)
				case 2:
					r.NotifyPid = int32(v)
				}
				return nil
			})
		case 7:
			r.CrErrno = int32(v)
		case 8:
			r.Features = &Features{}
			err = fields(p, func(f int, v uint64, _ []byte) error {
				switch f {
				case 1:
					r.Features.MemTrack = v != 0
				case 2:
					r.Features.LazyPages = v != 0
				}
				return nil
			})
		case 9:
			r.CrErrmsg = string(p)
		case 10:
			err = fields(p, func(f int, v uint64, _ []byte) error {
				switch f {
				case 1:
					major = int(int32(v))
				case 2:
					minor = int(int32(v))
				case 4:
					sub = int(int32(v))
				}
				return nil
			})
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("criu_resp: %w", err)
	}
	if major > 0 {
		r.Version = major*10000 + minor*100 + sub
	}
	return r, nil
}

var errTruncated = errors.New("truncated message")

// fields calls fn for each field of a message: v for varints, p for
// length-delimited ones; fixed-size fields are skipped.
func fields(data []byte, fn func(field int, v uint64, p []byte) error) error {
	for len(data) > 0 {
		k, n := binary.Uvarint(data)
		if n <= 0 {
			return errTruncated
		}
		data = data[n:]
		field, wire := int(k>>3), int(k&7)
		var v uint64
		var p []byte
		switch wire {
		case 0:
			if v, n = binary.Uvarint(data); n <= 0 {
				return errTruncated
			}
			data = data[n:]
		case 1, 5:
			size := 8
			if wire == 5 {
				size = 4
			}
			if len(data) < size {
				return errTruncated
			}
			data = data[size:]
			continue
		case 2:
			l, n := binary.Uvarint(data)
			if n <= 0 || uint64(len(data)-n) < l {
				return errTruncated
			}
			p, data = data[n:n+int(l)], data[n+int(l):]
		default:
			return fmt.Errorf("field %d: unsupported wire type %d", field, wire)
		}
		if err := fn(field, v, p); err != nil {
			return err
		}
	}
	return nil
}
