//! A small Chrome DevTools Protocol client for headless Chromium, over
//! `--remote-debugging-pipe`: Chromium reads commands on its fd 3 and
//! writes answers and events on its fd 4, one JSON message each, ended by
//! a NUL byte. No port, no websocket, nothing on the network: `bash`
//! hands our pipes to Chromium as fds 3 and 4 (std cannot map child fds
//! without `unsafe`).
//!
//! Why the protocol rather than `--dump-dom` and the console lines of
//! `--enable-logging`: the protocol says which console call was an error
//! and which was `console.log`, reports uncaught exceptions and every
//! request the page makes, runs our checks inside the loaded page, moves
//! the mouse for real (hover and zoom are the page's point), and takes the
//! screenshot of the same page it checked.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long any one answer may take.
const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Browser {
    child: Child,
    to: ChildStdin,
    from: Receiver<Value>,
    next: u64,
    /// The page's session, once attached.
    session: Option<String>,
    /// Every event received so far, in order.
    pub events: Vec<Value>,
}

impl Browser {
    /// Start `chromium` headless with a fresh profile in `profile`, its
    /// own log in `profile/stderr.txt`, and attach to a blank page of
    /// `width` × `height` CSS pixels.
    pub fn launch(
        chromium: &Path,
        profile: &Path,
        width: u32,
        height: u32,
    ) -> Result<Browser, String> {
        std::fs::create_dir_all(profile).map_err(|e| format!("{}: {e}", profile.display()))?;
        let log = std::fs::File::create(profile.join("stderr.txt")).map_err(|e| e.to_string())?;
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(chromium)
            .args([
                "--headless",
                // Root in a container has no user namespace to sandbox with;
                // the page is our own file.
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromium.display()))?;
        let to = child.stdin.take().ok_or("no pipe to chromium")?;
        let out = child.stdout.take().ok_or("no pipe from chromium")?;
        let (tx, from) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(out);
            let mut msg = Vec::new();
            while r.read_until(0, &mut msg).is_ok_and(|n| n > 0) {
                msg.pop_if(|b| *b == 0);
                if let Ok(v) = serde_json::from_slice::<Value>(&msg) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
                msg.clear();
            }
        });
        let mut b = Browser {
            child,
            to,
            from,
            next: 0,
            session: None,
            events: Vec::new(),
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}))?;
        let id = target["targetId"].clone();
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": id, "flatten": true}),
        )?;
        b.session = attached["sessionId"].as_str().map(String::from);
        for domain in [
            "Runtime.enable",
            "Log.enable",
            "Page.enable",
            "Network.enable",
        ] {
            b.call(domain, json!({}))?;
        }
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )?;
        Ok(b)
    }

    /// Send `method` to the page (or the browser, before attaching) and
    /// wait for its answer, keeping the events that come meanwhile.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = msg.to_string().into_bytes();
        bytes.push(0);
        self.to
            .write_all(&bytes)
            .and_then(|_| self.to.flush())
            .map_err(|e| format!("chromium stopped listening ({method}): {e}"))?;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let v = self.receive(deadline, method)?;
            if v["id"].as_u64() == Some(id) {
                return match v.get("error") {
                    Some(e) => Err(format!("{method}: {e}")),
                    None => Ok(v["result"].clone()),
                };
            }
            self.events.push(v);
        }
    }

    fn receive(&mut self, deadline: Instant, waiting_for: &str) -> Result<Value, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.from.recv_timeout(left) {
            Ok(v) => Ok(v),
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "chromium did not answer {waiting_for} within {TIMEOUT:?}"
            )),
            Err(RecvTimeoutError::Disconnected) => {
                Err(format!("chromium exited while we waited for {waiting_for}"))
            }
        }
    }

    /// Wait for an event named `method` (one already received counts).
    pub fn wait_for(&mut self, method: &str) -> Result<Value, String> {
        if let Some(e) = self.events.iter().find(|e| e["method"] == method) {
            return Ok(e.clone());
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let v = self.receive(deadline, method)?;
            self.events.push(v.clone());
            if v["method"] == method {
                return Ok(v);
            }
        }
    }

    /// Open `url` and wait until it has loaded.
    pub fn open(&mut self, url: &str) -> Result<(), String> {
        self.events.clear();
        self.call("Page.navigate", json!({"url": url}))?;
        self.wait_for("Page.loadEventFired").map(|_| ())
    }

    /// The value of the expression `js` in the page (JSON-able values only).
    pub fn eval(&mut self, js: &str) -> Result<Value, String> {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
        )?;
        match r.get("exceptionDetails") {
            Some(e) => Err(format!("the page threw evaluating {js}: {e}")),
            None => Ok(r["result"]["value"].clone()),
        }
    }

    /// A real mouse event at (x, y) in CSS pixels of the viewport.
    pub fn mouse(&mut self, kind: &str, x: f64, y: f64, extra: Value) -> Result<(), String> {
        let mut p = json!({"type": kind, "x": x, "y": y});
        if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.call("Input.dispatchMouseEvent", p).map(|_| ())
    }

    /// A PNG of the page's region `clip` (x, y, width, height in CSS pixels).
    pub fn screenshot(&mut self, clip: (f64, f64, f64, f64)) -> Result<Vec<u8>, String> {
        let (x, y, width, height) = clip;
        let r = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true,
                   "clip": {"x": x, "y": y, "width": width, "height": height, "scale": 1}}),
        )?;
        base64(r["data"].as_str().ok_or("no image data")?)
    }

    /// Every console message, uncaught exception and error log entry so far.
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| {
                let p = &e["params"];
                match e["method"].as_str()? {
                    // The page logs nothing: any console call is a complaint.
                    "Runtime.consoleAPICalled" => {
                        Some(format!("console.{}: {}", p["type"], p["args"]))
                    }
                    "Runtime.exceptionThrown" => {
                        Some(format!("uncaught: {}", p["exceptionDetails"]))
                    }
                    "Log.entryAdded" if p["entry"]["level"] == "error" => {
                        Some(format!("log: {}", p["entry"]))
                    }
                    _ => None,
                }
            })
            .collect()
    }

    /// The URLs the page asked for.
    pub fn requests(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .filter_map(|e| e["params"]["request"]["url"].as_str().map(String::from))
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.session = None;
        let _ = self.call("Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Standard base64 (the protocol's encoding of binary data).
fn base64(s: &str) -> Result<Vec<u8>, String> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Ok(c - b'A'),
        b'a'..=b'z' => Ok(c - b'a' + 26),
        b'0'..=b'9' => Ok(c - b'0' + 52),
        b'+' => Ok(62),
        b'/' => Ok(63),
        _ => Err(format!("not base64: {:?}", c as char)),
    };
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()) {
        acc = acc << 6 | value(c)? as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

/// The decoder against known values (a trial of its own).
pub fn check_base64() -> Result<(), String> {
    let cases: [(&str, &[u8]); 2] = [
        ("aGVsbG8=", b"hello"),
        ("iVBORw0KGgo=", b"\x89PNG\r\n\x1a\n"),
    ];
    for (text, bytes) in cases {
        let got = base64(text)?;
        if got != bytes {
            return Err(format!("base64 {text:?} gave {got:?}"));
        }
    }
    Ok(())
}
