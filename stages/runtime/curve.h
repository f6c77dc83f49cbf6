// Security of ZeroMQ endpoints: which addresses a stage may use without
// keys, CURVE keys (encryption and authentication) for the others, and the
// ZAP handler that lets only authorized clients in.
//
// Rules (checked by every StreamReader / StreamWriter that opens a ZeroMQ
// endpoint):
//   - ipc:// and inproc:// never use CURVE (an ipc socket is a file; pv-launch
//     keeps its sockets in a private 0700 folder);
//   - tcp:// on a loopback address (127.0.0.0/8, ::1, localhost) is allowed
//     without keys;
//   - tcp:// on any other address (0.0.0.0, *, an interface, a host name, a
//     remote IP) needs this side's key pair (--curve-secret), else opening
//     the endpoint fails with a StageError naming it;
//   - with a key pair, every tcp endpoint uses CURVE, loopback too. The
//     binding side is the CURVE server: its ZAP handler admits a client
//     whose public key is its own or one of --curve-authorized, and refuses
//     (and logs on stderr, once per key) every other one, so nothing the
//     client sends is received. The connecting side is the client: it
//     expects the server's public key --curve-server-key (default: its own,
//     for the stages of one pipeline sharing one key pair) and fails with
//     a StageError when the server refuses it.
//
// Key files are text: '#' lines are comments; a secret key file holds the
// 40-character Z85 secret key (the public key is derived from it) and must
// not be readable by group or others; a public key file holds one or more
// Z85 public keys, one a line. --curve-authorized names such a file or a
// folder whose *.pub files are read. `pv-launch --keygen NAME` writes a
// pair (NAME.key, mode 0600, and NAME.pub).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

namespace pv::runtime {

// The key files of the stage (its common options --curve-secret,
// --curve-server-key, --curve-authorized); empty: not given. One per process.
struct CurveOptions {
  std::string secretFile;
  std::string serverKeyFile;
  std::string authorizedPath;
};
CurveOptions& curveOptions();

struct CurveKeyPair {
  std::string publicKey;  // Z85, 40 characters
  std::string secretKey;
};

// A fresh key pair (zmq_curve_keypair); throws StageError without CURVE.
CurveKeyPair generateCurveKeyPair();
// Writes BASE.key (the secret key, mode 0600, never over an existing file)
// and BASE.pub; throws StageError.
void writeCurveKeyPair(const std::string& base, const CurveKeyPair& pair);
// Reads a secret key file: the pair (public derived); throws StageError.
CurveKeyPair readCurveSecretFile(const std::string& path);
// Reads the public keys of a file (one or more) or of a folder's *.pub files.
std::vector<std::string> readCurvePublicKeys(const std::string& path);

// True for ipc://, inproc:// and tcp:// endpoints on a loopback address.
bool isLocalEndpoint(const std::string& address);

// Sets up one ZeroMQ socket's security before it binds or connects
// (`address` without '@'/'>'); throws StageError when the rules above
// refuse the endpoint or a key file is bad. As a CURVE server it runs the
// ZAP handler of the socket's context until destroyed (destroy it before
// closing the context).
class EndpointSecurity {
 public:
  EndpointSecurity(zmq::context_t& context, zmq::socket_t& socket, const std::string& address,
                   bool bind);
  ~EndpointSecurity();
  EndpointSecurity(const EndpointSecurity&) = delete;
  EndpointSecurity& operator=(const EndpointSecurity&) = delete;

  bool curve() const { return curve_; }
  bool curveClient() const { return curve_ && !bind_; }
  const std::string& publicKey() const { return keys_.publicKey; }

 private:
  void serveZap(zmq::socket_t handler);

  std::string address_;
  bool bind_;
  bool curve_ = false;
  CurveKeyPair keys_;
  std::vector<std::string> authorized_;  // Z85
  std::atomic<bool> stop_{false};
  std::thread zap_;
};

}  // namespace pv::runtime
