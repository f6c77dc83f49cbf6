// CURVE keys, the endpoint rules and the ZAP handler (see curve.h).

#include "stages/runtime/curve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "stages/core/stage_error.h"

namespace pv::runtime {
namespace {

constexpr size_t kZ85KeyChars = 40;

bool isZ85Key(const std::string& key) {
  if (key.size() != kZ85KeyChars) return false;
  uint8_t raw[32];
  return zmq_z85_decode(raw, key.c_str()) != nullptr;
}

std::string z85(const uint8_t* raw32) {
  char text[kZ85KeyChars + 1];
  if (!zmq_z85_encode(text, raw32, 32)) return "?";
  return text;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The key lines of a key file ('#' comments and blank lines skipped).
std::vector<std::string> keyLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw StageError(path, "", std::string("cannot read key file: ") + std::strerror(errno));
  std::vector<std::string> keys;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (!isZ85Key(line))
      throw StageError(path, "line " + std::to_string(number),
                       "not a CURVE key (40 Z85 characters, as pv-launch --keygen writes)");
    keys.push_back(line);
  }
  return keys;
}

void requireCurve() {
  if (!zmq_has("curve"))
    throw StageError("<curve>", "", "this libzmq was built without CURVE support");
}

// "tcp://[src;]host:port" -> host (brackets of IPv6 removed).
std::string tcpHost(const std::string& address) {
  std::string rest = address.substr(6);
  if (size_t semi = rest.rfind(';'); semi != std::string::npos) rest = rest.substr(semi + 1);
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    return close == std::string::npos ? rest : rest.substr(1, close - 1);
  }
  size_t colon = rest.rfind(':');
  return colon == std::string::npos ? rest : rest.substr(0, colon);
}

bool isLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8 written as a dotted quad.
  unsigned a, b, c, d;
  char tail;
  if (std::sscanf(host.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4)
    return a == 127 && b < 256 && c < 256 && d < 256;
  return false;
}

std::string programName() {
  std::string name = program_invocation_short_name;
  return name.empty() ? "perfvec" : name;
}

}  // namespace

CurveOptions& curveOptions() {
  static CurveOptions options;
  return options;
}

CurveKeyPair generateCurveKeyPair() {
  requireCurve();
  char pub[kZ85KeyChars + 1], sec[kZ85KeyChars + 1];
  if (zmq_curve_keypair(pub, sec) != 0)
    throw StageError("<curve>", "", std::string("cannot make a key pair: ") + zmq_strerror(errno));
  return {pub, sec};
}

void writeCurveKeyPair(const std::string& base, const CurveKeyPair& pair) {
  const std::string secretPath = base + ".key", publicPath = base + ".pub";
  int fd = ::open(secretPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw StageError(secretPath, "", std::string("cannot create: ") + std::strerror(errno));
  std::string secret = "# perfvec CURVE secret key (ZeroMQ Z85): keep this file private\n"
                       "# public key: " + pair.publicKey + "\n" + pair.secretKey + "\n";
  bool ok = ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size());
  ok = (::close(fd) == 0) && ok;
  if (!ok) throw StageError(secretPath, "", std::string("cannot write: ") + std::strerror(errno));
  std::ofstream pub(publicPath, std::ios::trunc);
  pub << "# perfvec CURVE public key (ZeroMQ Z85) of " << base << "\n" << pair.publicKey << "\n";
  if (!pub.flush()) throw StageError(publicPath, "", "cannot write");
}

CurveKeyPair readCurveSecretFile(const std::string& path) {
  requireCurve();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw StageError(path, "", std::string("cannot read key file: ") + std::strerror(errno));
  if (st.st_mode & 077)
    throw StageError(path, "", "secret key file is readable by others (chmod 600 it)");
  auto keys = keyLines(path);
  if (keys.size() != 1)
    throw StageError(path, "", "a secret key file holds exactly one key (found " +
                                   std::to_string(keys.size()) + ")");
  char pub[kZ85KeyChars + 1];
  if (zmq_curve_public(pub, keys[0].c_str()) != 0)
    throw StageError(path, "", "not a CURVE secret key");
  return {pub, keys[0]};
}

std::vector<std::string> readCurvePublicKeys(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw StageError(path, "", std::string("cannot read: ") + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) {
    auto keys = keyLines(path);
    if (keys.empty()) throw StageError(path, "", "no public key in the file");
    return keys;
  }
  std::vector<std::string> files;
  if (DIR* dir = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".pub") == 0)
        files.push_back(path + "/" + name);
    }
    ::closedir(dir);
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> keys;
  for (const auto& f : files) {
    auto more = keyLines(f);
    keys.insert(keys.end(), more.begin(), more.end());
  }
  if (keys.empty()) throw StageError(path, "", "no *.pub public key file in the folder");
  return keys;
}

bool isLocalEndpoint(const std::string& address) {
  if (address.rfind("ipc://", 0) == 0 || address.rfind("inproc://", 0) == 0) return true;
  if (address.rfind("tcp://", 0) == 0) return isLoopbackHost(tcpHost(address));
  return false;
}

EndpointSecurity::EndpointSecurity(zmq::context_t& context, zmq::socket_t& socket,
                                   const std::string& address, bool bind)
    : address_(address), bind_(bind) {
  if (address.rfind("tcp://", 0) != 0) return;  // ipc, inproc: the file system guards them
  const CurveOptions& options = curveOptions();
  if (options.secretFile.empty()) {
    if (isLocalEndpoint(address)) return;
    throw StageError(address, "",
                     std::string(bind ? "binding" : "connecting to") +
                         " a non-loopback tcp address needs CURVE keys: give --curve-secret "
                         "(and --curve-authorized / --curve-server-key), or a [security] table "
                         "in the pipeline file; without keys use ipc:// or 127.0.0.1");
  }
  keys_ = readCurveSecretFile(options.secretFile);
  curve_ = true;
  socket.set(zmq::sockopt::curve_secretkey, keys_.secretKey);
  socket.set(zmq::sockopt::curve_publickey, keys_.publicKey);
  if (!bind) {
    std::string server = keys_.publicKey;
    if (!options.serverKeyFile.empty()) {
      auto keys = readCurvePublicKeys(options.serverKeyFile);
      if (keys.size() != 1)
        throw StageError(options.serverKeyFile, "", "--curve-server-key names exactly one key");
      server = keys[0];
    }
    socket.set(zmq::sockopt::curve_serverkey, server);
    return;
  }
  authorized_.push_back(keys_.publicKey);
  if (!options.authorizedPath.empty()) {
    auto keys = readCurvePublicKeys(options.authorizedPath);
    authorized_.insert(authorized_.end(), keys.begin(), keys.end());
  }
  // The ZAP handler must listen before the first client can connect.
  zmq::socket_t handler(context, zmq::socket_type::rep);
  handler.set(zmq::sockopt::linger, 0);
  try {
    handler.bind("inproc://zeromq.zap.01");
  } catch (const zmq::error_t& e) {
    throw StageError(address, "", std::string("cannot start the ZAP handler: ") + e.what());
  }
  socket.set(zmq::sockopt::zap_domain, "perfvec");
  socket.set(zmq::sockopt::curve_server, true);
  zap_ = std::thread(&EndpointSecurity::serveZap, this, std::move(handler));
}

EndpointSecurity::~EndpointSecurity() {
  stop_ = true;
  if (zap_.joinable()) zap_.join();
}

// ZAP (ZeroMQ RFC 27): request frames version, request id, domain, address,
// routing id, mechanism, credentials...; reply version, request id, status
// code, status text, user id, metadata.
void EndpointSecurity::serveZap(zmq::socket_t handler) {
  std::set<std::string> logged;
  while (!stop_) {
    zmq::pollitem_t item{handler.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
      std::vector<zmq::message_t> request;
      while (true) {
        zmq::message_t frame;
        if (!handler.recv(frame, zmq::recv_flags::none)) break;
        bool more = frame.more();
        request.push_back(std::move(frame));
        if (!more) break;
      }
      if (request.size() < 6) continue;  // not a ZAP request: nothing to answer
      std::string mechanism = request[5].to_string();
      std::string peer = request[3].to_string();
      std::string key = "(none)";
      bool ok = false;
      if (mechanism == "CURVE" && request.size() >= 7 && request[6].size() == 32) {
        key = z85(static_cast<const uint8_t*>(request[6].data()));
        ok = std::find(authorized_.begin(), authorized_.end(), key) != authorized_.end();
      }
      if (!ok && logged.insert(key + " " + mechanism).second)
        std::fprintf(stderr, "%s: %s: refused %s client %s from %s: key not authorized\n",
                     programName().c_str(), address_.c_str(), mechanism.c_str(), key.c_str(),
                     peer.empty() ? "?" : peer.c_str());
      std::vector<std::string> reply = {"1.0", request[1].to_string(), ok ? "200" : "400",
                                        ok ? "OK" : "key not authorized", ok ? key : "", ""};
      for (size_t i = 0; i < reply.size(); ++i)
        handler.send(zmq::buffer(reply[i]),
                     i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    } catch (const zmq::error_t&) {
      return;  // the context is closing
    }
  }
}

}  // namespace pv::runtime
