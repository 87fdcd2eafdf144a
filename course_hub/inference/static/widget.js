/* The course hub's try-it widget for a model page (course_hub/inference/static/widget.js).
 *
 * The page holds <div id="inference-widget" data-repo="owner/name" data-task="pipeline_tag"> and loads this file with
 * <script src="{base}/inference-static/widget.js" defer></script>. It calls the hub's own inference API (the routes
 * are under the same base as this script): the task API for classification and embeddings, the chat completions
 * route (streamed) for text-generation models. A signed-in learner's page also holds data-csrf: sent as X-CSRF-Token
 * with the session cookie, it makes the calls the learner's own (a gated model they may use, a classroom hub); without
 * it the calls are anonymous. Everything shown is set with textContent (no HTML from answers);
 * no inline styles (the site's CSP), the stylesheet sits beside this file.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/\/inference-static\/widget\.js(\?.*)?$/, "") : "";
  var csrf = "";  // the page's CSRF token (data-csrf), when the learner is signed in

  function headers(type) {
    var h = {"Content-Type": type};
    if (csrf) h["X-CSRF-Token"] = csrf;
    return h;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function modelUrl(repo) {
    return base + "/models/" + repo.split("/").map(encodeURIComponent).join("/");
  }

  function errorText(status, body) {
    try {
      var data = JSON.parse(body);
      var msg = typeof data.error === "string" ? data.error : (data.error && data.error.message);
      if (msg) return "Error " + status + ": " + msg;
    } catch (e) { /* not JSON */ }
    return "Error " + status;
  }

  function post(url, payload, raw) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: headers(raw ? raw.type || "application/octet-stream" : "application/json"),
      body: raw || JSON.stringify(payload)
    }).then(function (r) {
      return r.text().then(function (body) {
        if (!r.ok) throw new Error(errorText(r.status, body));
        return JSON.parse(body);
      });
    });
  }

  function bars(out, rows) {  // rows: [[label, score]]
    out.textContent = "";
    var list = el("ul", {"class": "iw-bars"});
    rows.forEach(function (row) {
      var li = el("li");
      li.appendChild(el("span", {"class": "iw-label"}, row[0]));
      li.appendChild(el("progress", {"max": "1", "value": String(Math.max(0, Math.min(1, row[1])))}));
      li.appendChild(el("span", {"class": "iw-score"}, row[1].toFixed(3)));
      list.appendChild(li);
    });
    out.appendChild(list);
  }

  function form(root, fields, label, run) {
    var f = el("form", {"class": "iw-form"});
    fields.forEach(function (x) { f.appendChild(x); });
    var button = el("button", {"type": "submit"}, label);
    var out = el("div", {"class": "iw-output", "aria-live": "polite"});
    f.appendChild(button);
    root.appendChild(f);
    root.appendChild(out);
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      button.disabled = true;
      out.textContent = "Computing… (the first call loads the model)";
      Promise.resolve().then(function () { return run(out); }).catch(function (e) {
        out.textContent = e.message || String(e);
        out.className = "iw-output iw-error";
      }).then(function () { button.disabled = false; });
    });
  }

  function classification(root, repo) {
    var text = el("textarea", {"rows": "3", "aria-label": "Text to classify"}, "I really enjoyed this course!");
    form(root, [text], "Compute", function (out) {
      out.className = "iw-output";
      return post(modelUrl(repo), {inputs: text.value}).then(function (res) {
        bars(out, (res[0] || []).map(function (x) { return [x.label, x.score]; }));
      });
    });
  }

  function similarity(root, repo) {
    var source = el("input", {"type": "text", "aria-label": "Source sentence", "value": "A cat sits on the mat"});
    var others = el("textarea", {"rows": "3", "aria-label": "Sentences to compare, one per line"},
                    "A kitten rests on a rug\nThe stock market fell today");
    form(root, [el("label", {}, "Source sentence"), source, el("label", {}, "Sentences to compare (one per line)"),
                others], "Compute", function (out) {
      out.className = "iw-output";
      var sentences = others.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
      return post(modelUrl(repo), {inputs: {source_sentence: source.value, sentences: sentences}}).then(function (res) {
        bars(out, sentences.map(function (s, i) { return [s, res[i]]; }));
      });
    });
  }

  function imageClassification(root, repo) {
    var file = el("input", {"type": "file", "accept": "image/*", "aria-label": "Image"});
    form(root, [file], "Compute", function (out) {
      out.className = "iw-output";
      if (!file.files.length) throw new Error("Choose an image first");
      return post(modelUrl(repo), null, file.files[0]).then(function (res) {
        bars(out, res.map(function (x) { return [x.label, x.score]; }));
      });
    });
  }

  function chat(root, repo) {
    var history = [];
    var log = el("div", {"class": "iw-chat", "aria-live": "polite"});
    var input = el("textarea", {"rows": "2", "aria-label": "Your message"}, "What is the capital of France?");
    var send = el("button", {"type": "submit"}, "Send");
    var stop = el("button", {"type": "button", "class": "iw-stop", "disabled": ""}, "Stop");
    var f = el("form", {"class": "iw-form"});
    f.appendChild(input); f.appendChild(send); f.appendChild(stop);
    root.appendChild(log); root.appendChild(f);
    var controller = null;

    function bubble(role, text) {
      var b = el("div", {"class": "iw-msg iw-" + role}, text);
      log.appendChild(b);
      log.scrollTop = log.scrollHeight;
      return b;
    }

    stop.addEventListener("click", function () { if (controller) controller.abort(); });
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text || controller) return;
      history.push({role: "user", content: text});
      bubble("user", text);
      input.value = "";
      var answer = bubble("assistant", "…");
      var got = "";
      controller = new AbortController();
      send.disabled = true; stop.disabled = false;
      fetch(modelUrl(repo) + "/v1/chat/completions", {
        method: "POST", credentials: "same-origin", signal: controller.signal,
        headers: headers("application/json"),
        body: JSON.stringify({model: repo, messages: history, max_tokens: 128, stream: true})
      }).then(function (r) {
        if (!r.ok) return r.text().then(function (body) { throw new Error(errorText(r.status, body)); });
        var reader = r.body.getReader(), decoder = new TextDecoder(), buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) return;
            buffer += decoder.decode(chunk.value, {stream: true});
            var events = buffer.split("\n\n");
            buffer = events.pop();
            events.forEach(function (ev) {
              var line = ev.trim();
              if (line.indexOf("data:") !== 0) return;
              var data = line.slice(5).trim();
              if (data === "[DONE]") return;
              var obj = JSON.parse(data);
              if (obj.error) throw new Error(obj.error.message || String(obj.error));
              var delta = obj.choices && obj.choices[0] && obj.choices[0].delta;
              if (delta && delta.content) { got += delta.content; answer.textContent = got; }
            });
            log.scrollTop = log.scrollHeight;
            return pump();
          });
        }
        return pump();
      }).catch(function (e) {
        if (e.name === "AbortError") { answer.textContent = got + " [stopped]"; return; }
        answer.textContent = e.message || String(e);
        answer.className = "iw-msg iw-error";
      }).then(function () {
        if (got) history.push({role: "assistant", content: got}); else history.pop();
        controller = null;
        send.disabled = false; stop.disabled = true;
      });
    });
  }

  function start() {
    var root = document.getElementById("inference-widget");
    if (!root || root.getAttribute("data-iw-ready")) return;
    root.setAttribute("data-iw-ready", "1");
    var css = el("link", {"rel": "stylesheet", "href": base + "/inference-static/widget.css"});
    document.head.appendChild(css);
    var repo = root.getAttribute("data-repo") || "", task = root.getAttribute("data-task") || "";
    csrf = root.getAttribute("data-csrf") || "";
    root.textContent = "";
    root.classList.add("iw");
    root.appendChild(el("p", {"class": "iw-task"}, task ? "Task: " + task : "No pipeline_tag in this model's card"));
    if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) return;
    if (task === "text-classification") classification(root, repo);
    else if (task === "sentence-similarity" || task === "feature-extraction") similarity(root, repo);
    else if (task === "text-generation") chat(root, repo);
    else if (task === "image-classification") imageClassification(root, repo);
    else root.appendChild(el("p", {"class": "iw-note"}, "The course hub runs no inference for this task."));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
