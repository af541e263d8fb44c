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
      <fieldset><legend>Train</legend>
        <select id="newrecipe"></select>
        <input id="newdata" placeholder="data (default: the recipe's)" size="22">
        <label>steps <input id="newsteps" type="number" min="1"></label>
        <label>batch <input id="newbatch" type="number" min="1"></label>
        <input id="newname" placeholder="run name (optional)" size="16">
        <button id="train">Start</button> <span id="trainerror" class="error"></span>
      </fieldset>
      <table><thead><tr><th>job</th><th>state</th><th>step</th><th>rate</th><th>left</th><th></th></tr></thead>
        <tbody id="jobrows"></tbody></table>
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
    let jobs = [], source = null, curve = [], reportShown = 0;
    const notLosses = ["step", "epoch", "steps_per_s", "time", "peak_rss_mb", "kind"];
    // The losses so far as lines on one chart (each loss scaled to its own range), redrawn as
    // server-sent events bring new steps.
    function drawCurve() {
      const svg = q("#curve");
      if (!svg) return;
      const names = [...new Set(curve.flatMap((p) => Object.keys(p.losses)))].sort();
      const colours = ["#1f6feb", "#d9480f", "#2f9e44", "#9c36b5", "#e8590c", "#0c8599"];
      const width = 640, height = 170, steps = curve.map((p) => p.step);
      const x0 = Math.min(...steps), x1 = Math.max(...steps, x0 + 1);
      svg.innerHTML = names.map((name, k) => {
        const points = curve.filter((p) => Number.isFinite(p.losses[name]));
        const values = points.map((p) => p.losses[name]);
        const lo = Math.min(...values), hi = Math.max(...values, lo + 1e-9);
        const path = points.map((p) => `${(8 + (p.step - x0) / (x1 - x0) * (width - 16)).toFixed(1)},${(height - 20 - (p.losses[name] - lo) / (hi - lo) * (height - 40)).toFixed(1)}`).join(" ");
        const colour = colours[k % colours.length];
        return `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${path}"/>` +
          `<text x="${10 + k * Math.floor((width - 20) / names.length)}" y="14" fill="${colour}" font-size="11">${esc(name)} ${values.length ? values[values.length - 1].toPrecision(4) : ""}</text>`;
      }).join("") + `<text x="8" y="${height - 4}" font-size="11">step ${x0}</text><text x="${width - 80}" y="${height - 4}" font-size="11">step ${x1}</text>`;
    }
    function follow(id) {
      if (source) { source.close(); source = null; }
      source = new EventSource(withToken(`/api/runs/${encodeURIComponent(id)}/events`));
      source.addEventListener("metrics", (event) => {
        const line = JSON.parse(event.data);
        if (line.kind !== undefined || line.step === undefined) return;
        const losses = {};
        for (const [key, value] of Object.entries(line)) if (!notLosses.includes(key) && typeof value === "number") losses[key] = value;
        curve.push({ step: line.step, losses });
        drawCurve();
        // The report (same SVG code as genai report) follows too, at most every 15 s.
        if (q("#report") && Date.now() - reportShown > 15000) { reportShown = Date.now(); q("#report").src = q("#report").src; }
      });
      source.addEventListener("done", () => {
        source.close(); source = null;
        // The report's curves, evaluations and grids as they are now that the run stopped.
        if (q("#report")) q("#report").src = q("#report").src;
      });
    }
    async function loadRecipes() {
      const recipes = (await (await api("/api/recipes")).json()).recipes;
      q("#newrecipe").innerHTML = recipes.map((r) => `<option value="${esc(r.name)}" title="${esc(r.summary)}">${esc(r.name)}</option>`).join("");
    }
    async function startJob() {
      q("#trainerror").textContent = "";
      const body = { recipe: q("#newrecipe").value };
      if (q("#newdata").value) body.data = q("#newdata").value;
      if (q("#newsteps").value) body.steps = Number(q("#newsteps").value);
      if (q("#newbatch").value) body.batchSize = Number(q("#newbatch").value);
      if (q("#newname").value) body.name = q("#newname").value;
      try {
        const job = await (await api("/api/jobs", { method: "POST", body: JSON.stringify(body) })).json();
        await loadJobs(); await loadRuns();
        // The run folder appears when the job starts; open it then.
        setTimeout(() => openRun(job.id).catch(() => {}), 1500);
      } catch (e) { q("#trainerror").textContent = e.message; }
    }
    const duration = (s) => s == null ? "" : s >= 3600 ? (s / 3600).toFixed(1) + " h" : s >= 60 ? Math.round(s / 60) + " min" : Math.round(s) + " s";
    async function loadJobs() {
      try { jobs = (await (await api("/api/jobs")).json()).jobs; } catch (e) { return; }
      q("#jobrows").innerHTML = jobs.slice().reverse().map((j) => `<tr title="${esc(j.message || "")}">
        <td>${esc(j.id)}</td><td class="status-${j.state === "running" ? "training" : j.state}">${j.state}</td>
        <td>${j.step}/${j.steps}</td><td>${j.stepsPerSecond == null ? "" : j.stepsPerSecond.toFixed(2) + "/s"}</td>
        <td>${duration(j.secondsLeft)}</td>
        <td>${["queued", "running"].includes(j.state) ? `<button class="stop" data-id="${esc(j.id)}">Stop</button>` : ""}</td></tr>`).join("");
      document.querySelectorAll("button.stop").forEach((b) => b.onclick = async () => {
        await api(`/api/jobs/${encodeURIComponent(b.dataset.id)}/stop`, { method: "POST" }).catch((e) => alert(e.message));
        loadJobs();
      });
      const live = chosen && jobs.slice().reverse().find((j) => j.id === chosen);
      if (live && q("#live")) {
        q("#live").textContent = `${live.state}: step ${live.step} of ${live.steps}` +
          (live.stepsPerSecond ? `, ${live.stepsPerSecond.toFixed(2)} steps/s, ${duration(live.secondsLeft)} left` : "") +
          (live.message ? ` (${live.message})` : "");
        if (["running", "stopping"].includes(live.state)) {
          try {
            const run = await (await api("/api/runs/" + encodeURIComponent(chosen))).json();
            if (run.summary.newestSample && run.summary.newestSample.endsWith(".png")) {
              const src = withToken(run.summary.newestSample);
              if (q("#newest").getAttribute("src") !== src) { q("#newest").src = src; q("#newest").hidden = false; }
            }
          } catch (e) { /* the run folder appears when the job starts */ }
        }
      }
    }
    q("#train").onclick = startJob;
    async function resumeRun(id) {
      try {
        await api(`/api/jobs/${encodeURIComponent(id)}/resume`, { method: "POST", body: "{}" });
        await loadJobs();
        follow(id);
      } catch (e) { q("#live").textContent = e.message; }
    }
    async function openRun(id) {
      const run = await (await api("/api/runs/" + encodeURIComponent(id))).json();
      chosen = id; drawRuns();
      history.replaceState(null, "", "?run=" + encodeURIComponent(id) + (new URLSearchParams(location.search).get("token") ? "&token=" + encodeURIComponent(token) : ""));
      const s = run.summary;
      let html = `<h2>${esc(s.id)}</h2><p>${esc(s.recipe)} on ${esc(s.data)}, step ${s.step} of ${s.steps}, ${s.status}` +
        (s.best == null ? "" : `; best ${esc(s.mainMetric)} ${s.best.toPrecision(4)} at step ${s.bestStep}`) + `</p>` +
        `<p id="live"></p>` + (s.status === "stopped" ? `<button id="resume">Resume training</button>` : "") +
        (s.newestSample && s.newestSample.endsWith(".png") ? `<p><img id="newest" class="grid" alt="newest sample" src="${withToken(s.newestSample)}"></p>` : `<img id="newest" hidden alt="">`);
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
      if (run.generates === "audio") {
        const classes = run.classNames.length ? `<label>class <select id="label"><option value="">each in turn</option>` +
          run.classNames.map((c) => `<option>${esc(c)}</option>`).join("") + `</select></label>` : "";
        html += `<fieldset><legend>Generate audio</legend>
          <label>clips <input id="count" type="number" min="1" max="20" value="10"></label>
          <label>seed <input id="seed" type="number" min="0" value="0"></label>${classes}
          <button id="generate">Generate</button> <span id="generror" class="error"></span>
          <div id="grid"></div></fieldset>`;
      }
      if (run.abilities.includes("latent")) {
        html += `<fieldset><legend>Latent walk</legend>
          <label>from seed <input id="walkfrom" type="number" min="0" value="0"></label>
          <label>to seed <input id="walkto" type="number" min="0" value="1"></label>
          <label>frames <input id="frames" type="number" min="2" max="32" value="10"></label>
          <button id="walk">Walk</button> <span id="walkerror" class="error"></span><div id="strip"></div></fieldset>`;
      }
      if (run.abilities.includes("restore")) {
        html += `<fieldset><legend>Restore an image</legend>
          <input id="upload" type="file" accept="image/png">
          <label>damaged box x,y,w,h on 28x28 (empty: denoise) <input id="box" placeholder="8,8,12,12" size="10"></label>
          <button id="restore">Restore</button> <span id="restoreerror" class="error"></span><div id="restored"></div></fieldset>`;
      }
      html += `<fieldset><legend>Rate a batch</legend>
        <label>batch <select id="batch">${run.batches.map((b) => `<option value="${b.batch}">${b.batch} (${b.count} samples)</option>`).reverse().join("")}</select></label>
        <label>like <input id="like" placeholder="2,5"></label><label>dislike <input id="dislike" placeholder="7"></label>
        <button id="rate">Save ratings</button> <span id="rated"></span>
        ${run.abilities.includes("tune") ? `<p><button id="tune">Tune from the likes</button> <span id="tuneerror" class="error"></span></p><pre id="tuned"></pre>` : ""}</fieldset>
        <h3>Losses</h3><svg id="curve" width="640" height="170" role="img" aria-label="training losses"></svg>
        <h3>Report</h3><iframe id="report" src="${withToken("/api/runs/" + encodeURIComponent(id) + "/report")}"></iframe>`;
      q("#run").innerHTML = html;
      if (q("#generate")) q("#generate").onclick = () =>
        run.generates === "images" ? generateImages(id) : run.generates === "audio" ? generateAudio(id) : generateText(id);
      if (q("#walk")) q("#walk").onclick = () => walk(id);
      if (q("#restore")) q("#restore").onclick = () => restore(id);
      if (q("#tune")) q("#tune").onclick = () => tune(id);
      q("#rate").onclick = () => rate(id);
      if (q("#resume")) q("#resume").onclick = () => resumeRun(id);
      curve = run.history.slice();
      drawCurve();
      if (source) { source.close(); source = null; }
      if (["training", "queued"].includes(s.status)) follow(id);
    }
    const numbers = (s) => s.split(",").map((x) => x.trim()).filter((x) => x).map(Number);
    async function generateImages(id) {
      q("#generror").textContent = "";
      const body = { count: Number(q("#count").value), seed: Number(q("#seed").value) };
      if (q("#label") && q("#label").value) body.label = q("#label").value;
      if (q("#prior")) body.prior = q("#prior").value;
      try {
        const made = await (await api(`/api/runs/${encodeURIComponent(id)}/images`, { method: "POST", body: JSON.stringify(body) })).json();
        await refreshBatches(id, made.batch);  // first, so the rating form names this batch when the grid shows
        q("#grid").innerHTML = `<p id="made" data-batch="${made.batch}">batch ${made.batch}: samples numbered left to right, top to bottom</p><img class="grid" alt="generated grid" src="${withToken(made.url)}"> <a href="${withToken(made.url)}" download>download</a>`;
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
            if (message.batch) {
              await refreshBatches(id, message.batch);
              q("#grid").innerHTML = `<a href="${withToken(message.url)}" download>download the text</a>`;
            }
          }
        }
      } catch (e) { q("#generror").textContent = e.message; }
    }
    async function generateAudio(id) {
      q("#generror").textContent = "";
      const body = { count: Number(q("#count").value), seed: Number(q("#seed").value) };
      if (q("#label") && q("#label").value) body.label = q("#label").value;
      try {
        const made = await (await api(`/api/runs/${encodeURIComponent(id)}/audio`, { method: "POST", body: JSON.stringify(body) })).json();
        q("#grid").innerHTML = `<p>batch ${made.batch}: samples numbered as the clips</p>` +
          made.clips.map((c, i) => `<div>${i + 1} <audio controls preload="none" src="${withToken(c)}"></audio></div>`).join("") +
          (made.spectrograms ? `<img class="grid" alt="spectrograms" src="${withToken(made.spectrograms)}">` : "");
        await refreshBatches(id, made.batch);
      } catch (e) { q("#generror").textContent = e.message; }
    }
    async function walk(id) {
      q("#walkerror").textContent = "";
      const body = { from: Number(q("#walkfrom").value), to: Number(q("#walkto").value), frames: Number(q("#frames").value) };
      if (q("#label") && q("#label").value) body.label = q("#label").value;
      try {
        const made = await (await api(`/api/runs/${encodeURIComponent(id)}/walk`, { method: "POST", body: JSON.stringify(body) })).json();
        q("#strip").innerHTML = `<img class="grid" alt="latent walk" src="${withToken(made.url)}"> <a href="${withToken(made.url)}" download>download</a>`;
      } catch (e) { q("#walkerror").textContent = e.message; }
    }
    async function restore(id) {
      q("#restoreerror").textContent = "";
      const file = q("#upload").files[0];
      if (!file) { q("#restoreerror").textContent = "choose a PNG first"; return; }
      const box = q("#box").value.trim();
      try {
        const response = await fetch(withToken(`/api/runs/${encodeURIComponent(id)}/restore` + (box ? "?box=" + encodeURIComponent(box) : "")),
          { method: "POST", headers: { "Authorization": "Bearer " + token, "Content-Type": "image/png" }, body: file });
        const made = await response.json();
        if (!response.ok) throw new Error((made.error && made.error.message) || response.statusText);
        q("#restored").innerHTML = `<p>left: the upload at 28x28; right: restored</p><img class="grid" alt="restored" src="${withToken(made.output)}"> <a href="${withToken(made.output)}" download>download</a>`;
      } catch (e) { q("#restoreerror").textContent = e.message; }
    }
    async function tune(id) {
      q("#tuneerror").textContent = ""; q("#tuned").textContent = "tuning...";
      try {
        const result = await (await api(`/api/runs/${encodeURIComponent(id)}/tune`, { method: "POST", body: JSON.stringify({ samples: 200 }) })).json();
        q("#tuned").textContent = result.summary + (result.measurement ? "\\n\\n" + result.measurement : "");
      } catch (e) { q("#tuned").textContent = ""; q("#tuneerror").textContent = e.message; }
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
    loadRecipes(); loadRuns(); loadJobs();
    // ?run=ID opens that run, so a run's page can be linked to.
    const linked = new URLSearchParams(location.search).get("run");
    if (linked) openRun(linked).catch((e) => { q("#run").innerHTML = `<p class="error">${esc(e.message)}</p>`; });
    setInterval(loadRuns, 5000);
    setInterval(loadJobs, 2000);
    </script></body></html>
    """
}
