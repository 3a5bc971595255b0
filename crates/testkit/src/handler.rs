//! A webhook handler for tests: a real HTTP/1.1 server on a loopback port (a thread per
//! connection) that records each request's headers and body and answers with a status
//! the test sets, or holds requests without answering.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

/// One request as received: its headers (names in lower case) and its body.
pub type Request = (Vec<(String, String)>, Vec<u8>);

/// A handler on a loopback port: records each request's body and headers and answers 200,
/// or, while `hang` is set, reads the request and never answers.
pub struct Handler {
    pub port: u16,
    pub hang: Arc<AtomicBool>,
    /// The status answered (200 unless a test says otherwise).
    pub status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Request>>>,
}

impl Handler {
    /// A handler answering 200 (or holding every request, with `hang`).
    pub fn start(hang: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hang = Arc::new(AtomicBool::new(hang));
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (h, r, st) = (hang.clone(), received.clone(), status.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (h, r, st) = (h.clone(), r.clone(), st.clone());
                std::thread::spawn(move || serve_connection(stream, &h, &st, &r));
            }
        });
        Self { port, hang, status, received }
    }

    /// Its address, `http://127.0.0.1:PORT/hooks`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    /// The `deliveryId` of each body received, in order.
    /// Each request's headers (names in lower case) and body, in order.
    pub fn received(&self) -> Vec<Request> {
        self.received.lock().unwrap().clone()
    }

    pub fn delivery_ids(&self) -> Vec<String> {
        let received = self.received.lock().unwrap();
        received
            .iter()
            .map(|(_, body)| {
                let value: serde_json::Value = serde_json::from_slice(body).unwrap();
                value["deliveryId"].as_str().unwrap().to_owned()
            })
            .collect()
    }
}

fn serve_connection(stream: TcpStream, hang: &AtomicBool, status: &AtomicU16, received: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let length: usize =
            headers.iter().find(|(n, _)| n == "content-length").map(|(_, v)| v.parse().unwrap()).unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if hang.load(Ordering::SeqCst) {
            // Held until the client goes away (or the test ends).
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
            return;
        }
        received.lock().unwrap().push((headers, body));
        let reply = format!(
            "HTTP/1.1 {} X\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok",
            status.load(Ordering::SeqCst)
        );
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}
