/// The studio's one page: runs on the left, the chosen run on the right (its report, a grid or
/// text to generate, the samples to rate). Plain HTML and JavaScript over the JSON API.
enum StudioPage {
  /// The page; `token` is written into it when the server is on loopback.
  static func html(token: String?) -> String {
    page.replacingOccurrences(of: "__TOKEN__", with: token ?? "")
  }

  static let page = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>genai studio</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
    body { font: 14px system-ui, sans-serif; margin: 0; display: flex; height: 100vh; color: #222; }
    #runs { width: 38%; overflow: auto; border-right: 1px solid #ddd; padding: 8px; }
    #run { flex: 1; overflow: auto; padding: 8px 16px; }
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eee; }
    th { cursor: pointer; user-select: none; }
    tr.run:hover { background: #f3f6ff; cursor: pointer; }
    tr.chosen { background: #e3ebff; }
    .status-training { color: #0a7d22; font-weight: 600; }
    fieldset { border: 1px solid #ddd; margin: 10px 0; }
    label { margin-right: 10px; }
    input[type=number] { width: 5em; }
    pre#text { white-space: pre-wrap; background: #fafafa; border: 1px solid #eee; padding: 8px; min-height: 3em; }
    img.grid { image-rendering: pixelated; max-width: 100%; border: 1px solid #eee; }
    .error { color: #b00020; }
    iframe { width: 100%; height: 480px; border: 1px solid #eee; }
    </style></head><body>
    <section id="runs">
      <h2>genai studio</h2>
      <input id="filter" placeholder="filter runs (recipe, data, id)" style="width: 95%">
      <table><thead><tr>
        <th data-key="id">run</th><th data-key="recipe">recipe</th><th data-key="data">data</th>
        <th data-key="step">step</th><th data-key="status">status</th><th data-key="best">best</th>
      </tr></thead><tbody id="runrows"></tbody></table>
      <p id="runserror" class="error"></p>
    </section>
    <section id="run"><p>Choose a run on the left.</p></section>
    <script>
    const token = new URLSearchParams(location.search).get("token") || "__TOKEN__";
    const headers = { "Content-Type": "application/json", "Authorization": "Bearer " + token };
    let runs = [], sortKey = "id", sortUp = true, chosen = null;
    const q = (s) => document.querySelector(s);
    const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
    function withToken(url) { return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token); }
    async function api(url, options) {
      const response = await fetch(withToken(url), Object.assign({ headers }, options || {}));
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw new Error((body.error && body.error.message) || response.statusText);
      }
      return response;
    }
    async function loadRuns() {
      try {
        runs = (await (await api("/api/runs")).json()).runs;
        q("#runserror").textContent = "";
        drawRuns();
      } catch (e) { q("#runserror").textContent = e.message; }
    }
    function drawRuns() {
      const f = q("#filter").value.toLowerCase();
      const shown = runs.filter((r) => (r.id + " " + r.recipe + " " + r.data).toLowerCase().includes(f));
      shown.sort((a, b) => { const x = a[sortKey] ?? "", y = b[sortKey] ?? ""; return (x < y ? -1 : x > y ? 1 : 0) * (sortUp ? 1 : -1); });
      q("#runrows").innerHTML = shown.map((r) => `<tr class="run ${r.id === chosen ? "chosen" : ""}" data-id="${esc(r.id)}">
        <td>${esc(r.id)}</td><td>${esc(r.recipe)}</td><td>${esc(r.data)}</td><td>${r.step}/${r.steps}</td>
        <td class="status-${r.status}">${r.status}</td>
        <td>${r.best == null ? "" : esc(r.mainMetric) + " " + r.best.toPrecision(4)}</td></tr>`).join("");
      document.querySelectorAll("tr.run").forEach((row) => row.onclick = () => openRun(row.dataset.id));
    }
    document.querySelectorAll("th").forEach((th) => th.onclick = () => {
      sortUp = sortKey === th.dataset.key ? !sortUp : true; sortKey = th.dataset.key; drawRuns();
    });
    q("#filter").oninput = drawRuns;
    async function openRun(id) {
      chosen = id; drawRuns();
      const run = await (await api("/api/runs/" + encodeURIComponent(id))).json();
      const s = run.summary;
      let html = `<h2>${esc(s.id)}</h2><p>${esc(s.recipe)} on ${esc(s.data)}, step ${s.step} of ${s.steps}, ${s.status}` +
        (s.best == null ? "" : `; best ${esc(s.mainMetric)} ${s.best.toPrecision(4)} at step ${s.bestStep}`) + `</p>`;
      if (run.generates === "images") {
        const classes = run.classNames.length ? `<label>class <select id="label"><option value="">any</option>` +
          run.classNames.map((c) => `<option>${esc(c)}</option>`).join("") + `</select></label>` : "";
        const prior = run.hasTunedPrior ? `<label>prior <select id="prior"><option>tuned</option><option>standard</option></select></label>` : "";
        html += `<fieldset><legend>Generate images</legend>
          <label>count <input id="count" type="number" min="1" max="64" value="16"></label>
          <label>seed <input id="seed" type="number" min="0" value="0"></label>${classes}${prior}
          <button id="generate">Generate</button> <span id="generror" class="error"></span>
          <div id="grid"></div></fieldset>`;
      } else if (run.generates === "text") {
        html += `<fieldset><legend>Generate text</legend>
          <label>prime <input id="prime" value=""></label>
          <label>length <input id="length" type="number" min="1" max="2000" value="300"></label>
          <label>temperature <input id="temperature" type="number" step="0.05" min="0.05" max="5" value="0.8"></label>
          <label>top-k <input id="topk" type="number" min="1"></label>
          <label>top-p <input id="topp" type="number" step="0.05" min="0.05" max="1"></label>
          <label>seed <input id="seed" type="number" min="0" value="0"></label>
          <button id="generate">Generate</button> <span id="generror" class="error"></span>
          <pre id="text"></pre><div id="grid"></div></fieldset>`;
      }
      html += `<fieldset><legend>Rate a batch</legend>
        <label>batch <select id="batch">${run.batches.map((b) => `<option value="${b.batch}">${b.batch} (${b.count} samples)</option>`).reverse().join("")}</select></label>
        <label>like <input id="like" placeholder="2,5"></label><label>dislike <input id="dislike" placeholder="7"></label>
        <button id="rate">Save ratings</button> <span id="rated"></span></fieldset>
        <h3>Report</h3><iframe id="report" src="${withToken("/api/runs/" + encodeURIComponent(id) + "/report")}"></iframe>`;
      q("#run").innerHTML = html;
      if (q("#generate")) q("#generate").onclick = () => run.generates === "images" ? generateImages(id) : generateText(id);
      q("#rate").onclick = () => rate(id);
    }
    const numbers = (s) => s.split(",").map((x) => x.trim()).filter((x) => x).map(Number);
    async function generateImages(id) {
      q("#generror").textContent = "";
      const body = { count: Number(q("#count").value), seed: Number(q("#seed").value) };
      if (q("#label") && q("#label").value) body.label = q("#label").value;
      if (q("#prior")) body.prior = q("#prior").value;
      try {
        const made = await (await api(`/api/runs/${encodeURIComponent(id)}/images`, { method: "POST", body: JSON.stringify(body) })).json();
        q("#grid").innerHTML = `<p>batch ${made.batch}: samples numbered left to right, top to bottom</p><img class="grid" alt="generated grid" src="${withToken(made.url)}">`;
        await refreshBatches(id, made.batch);
      } catch (e) { q("#generror").textContent = e.message; }
    }
    async function generateText(id) {
      q("#generror").textContent = ""; q("#text").textContent = q("#prime").value;
      const body = { prime: q("#prime").value, length: Number(q("#length").value), temperature: Number(q("#temperature").value), seed: Number(q("#seed").value) };
      if (q("#topk").value) body.topK = Number(q("#topk").value);
      if (q("#topp").value) body.topP = Number(q("#topp").value);
      try {
        const response = await api(`/api/runs/${encodeURIComponent(id)}/text`, { method: "POST", body: JSON.stringify(body) });
        const reader = response.body.getReader(), decoder = new TextDecoder();
        let buffered = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffered.indexOf("\\n")) >= 0) {
            const message = JSON.parse(buffered.slice(0, end)); buffered = buffered.slice(end + 1);
            if (message.text !== undefined) q("#text").textContent += message.text;
            if (message.error) q("#generror").textContent = message.error;
            if (message.batch) await refreshBatches(id, message.batch);
          }
        }
      } catch (e) { q("#generror").textContent = e.message; }
    }
    async function refreshBatches(id, newest) {
      const run = await (await api("/api/runs/" + encodeURIComponent(id))).json();
      q("#batch").innerHTML = run.batches.map((b) => `<option value="${b.batch}">${b.batch} (${b.count} samples)</option>`).reverse().join("");
      q("#batch").value = String(newest);
    }
    async function rate(id) {
      q("#rated").textContent = "";
      const body = { batch: Number(q("#batch").value), like: numbers(q("#like").value), dislike: numbers(q("#dislike").value) };
      try {
        const result = await (await api(`/api/runs/${encodeURIComponent(id)}/ratings`, { method: "POST", body: JSON.stringify(body) })).json();
        q("#rated").textContent = `saved; the run holds ${result.ratings} ratings (genai tune learns from them)`;
      } catch (e) { q("#rated").innerHTML = `<span class="error">${esc(e.message)}</span>`; }
    }
    loadRuns();
    setInterval(loadRuns, 5000);
    </script></body></html>
    """
}
