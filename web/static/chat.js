// Streams the assistant's answer into the page (chunked fetch, newline-delimited JSON).
// Without this script the form posts normally and the page shows the answer when it is done.
(function () {
  "use strict";
  var form = document.getElementById("ask");
  var list = document.getElementById("conversation");
  if (!form || !list || !window.fetch || !window.TextDecoder) return;
  var input = document.getElementById("message");
  var button = document.getElementById("send");
  var status = document.getElementById("ask-status");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function speaker(parent, who, text) {
    var p = el("p", who === "You" ? "you" : "");
    p.appendChild(el("span", "speaker", who));
    if (text !== undefined) p.appendChild(document.createTextNode(" " + text));
    parent.appendChild(p);
    return p;
  }

  // A proposal's Confirm/Discard buttons: a plain form, as the page renders it.
  function proposalForm(id) {
    var f = el("form", "proposal");
    f.method = "post";
    f.action = "/chat/proposals/" + encodeURIComponent(id);
    var csrf = el("input");
    csrf.type = "hidden";
    csrf.name = "csrf";
    csrf.value = form.elements.csrf.value;
    f.appendChild(csrf);
    [["confirm", "Confirm", ""], ["discard", "Discard", "secondary"]].forEach(function (b) {
      var button = el("button", b[2], b[1]);
      button.type = "submit";
      button.name = "decision";
      button.value = b[0];
      f.appendChild(button);
    });
    return f;
  }

  function toolCard(event) {
    var li = el("li", "tool " + event.status);
    var name = el("span", "tool-name", event.title || event.name);
    name.setAttribute("data-tool", event.name);
    li.appendChild(name);
    li.appendChild(el("span", "tool-status",
      event.status_text || String(event.status).replace(/_/g, " ")));
    if (event.approval_id) li.appendChild(el("span", "approval-id", event.approval_id));
    li.appendChild(el("span", "tool-summary", event.summary));
    if (event.proposal_id) li.appendChild(proposalForm(event.proposal_id));
    return li;
  }

  // A suggested question fills the box and is asked.
  Array.prototype.forEach.call(document.querySelectorAll(".suggestion"), function (b) {
    b.addEventListener("click", function () {
      input.value = b.getAttribute("data-question");
      var box = b.closest(".suggestions");
      if (box) box.remove();
      if (typeof form.requestSubmit === "function") form.requestSubmit(); else form.submit();
    });
  });

  // Enter sends, Shift+Enter starts a new line.
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (typeof form.requestSubmit === "function") form.requestSubmit(); else form.submit();
    }
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var question = input.value.trim();
    if (!question) { input.focus(); return; }
    var suggestions = document.querySelector(".suggestions");
    if (suggestions) suggestions.remove();
    var body = new FormData(form);
    var exchange = el("li", "exchange");
    speaker(exchange, "You", question);
    var tools = el("ul", "tools");
    tools.setAttribute("aria-label", "Tool calls");
    var assistant = el("div", "assistant");
    assistant.appendChild(el("span", "speaker", "Assistant"));
    var answer = el("div", "answer");
    assistant.appendChild(answer);
    exchange.appendChild(tools);
    exchange.appendChild(assistant);
    exchange.setAttribute("aria-busy", "true");
    list.appendChild(exchange);
    var old = document.getElementById("latest");
    if (old) old.removeAttribute("id");
    exchange.id = "latest";
    input.value = "";
    button.disabled = true;
    status.textContent = "The assistant is answering…";
    exchange.scrollIntoView({ block: "end" });

    function fail(message) {
      var p = el("p", "flash error", message);
      p.setAttribute("role", "alert");
      assistant.appendChild(p);
    }

    function handle(event) {
      if (event.type === "text") {
        answer.textContent += event.text;
      } else if (event.type === "tool") {
        tools.appendChild(toolCard(event));
      } else if (event.type === "done") {
        // The server's rendering of the answer: escaped before any markup is added.
        if (event.html) answer.innerHTML = event.html;
        else if (event.answer) answer.textContent = event.answer;
        if (event.note) fail(event.note);
        exchange.setAttribute("data-state", event.state);
      }
    }

    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Stream": "ndjson", "Accept": "application/x-ndjson" }
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (data) { fail(data.error || response.statusText); },
          function () { fail("The request failed (" + response.status + "). Reload the page."); });
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            if (buffer.trim()) handle(JSON.parse(buffer));
            return;
          }
          buffer += decoder.decode(chunk.value, { stream: true });
          var lines = buffer.split("\n");
          buffer = lines.pop();
          lines.forEach(function (line) { if (line.trim()) handle(JSON.parse(line)); });
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      fail("The connection was lost. Reload the page to see the answer.");
    }).then(function () {
      exchange.removeAttribute("aria-busy");
      button.disabled = false;
      status.textContent = "";
      input.focus();
    });
  });
})();
