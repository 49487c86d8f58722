//! A tiny blocking HTTP/1.1 client over std::net::TcpStream (one request per connection), for tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use base64::Engine;

const IO_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the status and body text if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "HTTP {} body is not JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }
}

/// `Basic base64(id:secret)` exactly as `curl -u id:secret` sends it (no form-urlencoding).
pub fn basic(id: &str, secret: &str) -> String {
    let raw = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Splits `http://127.0.0.1:PORT/path?query` into (address, path-and-query).
fn split_url(url: &str) -> (SocketAddr, String) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("only http:// URLs are supported: {url}"));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let addr: SocketAddr = authority
        .parse()
        .unwrap_or_else(|e| panic!("URL authority must be ip:port ({url}): {e}"));
    (addr, path)
}

/// Sends one request (`Connection: close`) and reads the whole response.
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Response> {
    request_with_host(method, url, None, headers, body)
}

/// A GET whose Host header is `host` instead of the URL's address.
pub fn get_with_host(url: &str, host: &str) -> Response {
    request_with_host("GET", url, Some(host), &[], None)
        .unwrap_or_else(|e| panic!("GET {url} (Host: {host}): {e}"))
}

/// As `request`, with the Host header `host` (`None`: the URL's address).
pub fn request_with_host(
    method: &str,
    url: &str,
    host: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Response> {
    let (addr, path) = split_url(url);
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;

    let host = host.map_or_else(|| addr.to_string(), str::to_owned);
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if let Some(body) = body {
        stream.write_all(body)?;
    }
    stream.flush()?;
    read_response(BufReader::new(stream), method == "HEAD")
}

/// Sends a POST whose body is chunked (`Transfer-Encoding: chunked`, chunks of
/// `chunk_size`), then reads the response; a write the server cut short (it answered
/// before the end of the body) is not an error.
pub fn post_chunked(
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    chunk_size: usize,
) -> std::io::Result<Response> {
    let (addr, path) = split_url(url);
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut wire = head.into_bytes();
    for chunk in body.chunks(chunk_size.max(1)) {
        wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        wire.extend_from_slice(chunk);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    let _ = stream.write_all(&wire).and_then(|()| stream.flush());
    read_response(BufReader::new(stream), false)
}

fn bad(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

fn read_line(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    let n = reader.read_line(&mut line)?;
    if n == 0 {
        return Err(bad("connection closed before the response head ended"));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn read_response(mut reader: impl BufRead, head_only: bool) -> std::io::Result<Response> {
    let status_line = read_line(&mut reader)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line: {status_line:?}")))?;
    let mut headers = Vec::new();
    for _ in 0..200 {
        let line = read_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header line: {line:?}")))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(response);
    }
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    response.body = if chunked {
        read_chunked(&mut reader)?
    } else if let Some(len) = length {
        if len > MAX_BODY {
            return Err(bad("response body too large"));
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        body
    } else {
        let mut body = Vec::new();
        reader.take(MAX_BODY as u64).read_to_end(&mut body)?;
        body
    };
    Ok(response)
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    for _ in 0..100_000 {
        let line = read_line(reader)?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| bad(format!("bad chunk size line: {line:?}")))?;
        if size == 0 {
            // Trailers until the empty line.
            for _ in 0..100 {
                if read_line(reader)?.is_empty() {
                    break;
                }
            }
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(bad("response body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        read_line(reader)?;
    }
    Err(bad("too many chunks"))
}

/// GET with the given headers; panics with the URL on an I/O error.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Response {
    request("GET", url, headers, None).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// POST with an empty body; panics with the URL on an I/O error.
pub fn post_empty(url: &str) -> Response {
    request("POST", url, &[], Some(b"")).unwrap_or_else(|e| panic!("POST {url}: {e}"))
}
