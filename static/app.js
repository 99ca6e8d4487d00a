// The pages' only script: the Content-Security-Policy allows no inline script.
// A link marked data-back goes back one page when there is one (else it follows its href).
document.addEventListener('click', function (e) {
  var a = e.target.closest && e.target.closest('a[data-back]');
  if (a && window.history.length > 1) {
    e.preventDefault();
    window.history.back();
  }
});

// Pickers: <input type="hidden" name="org_id" data-pick="orgs" data-label="…" [data-required]>
// gets a search box; typing asks /pick/<kind>?q= and a choice fills the hidden id.
(function () {
  function setup(hidden) {
    var kind = hidden.getAttribute('data-pick');
    var box = document.createElement('input');
    box.type = 'search';
    box.autocomplete = 'off';
    box.className = 'pick-box';
    // Sent along (and ignored by the server) so a form shown again with an error keeps the text.
    if (hidden.name) box.name = hidden.name + '_label';
    box.value = hidden.getAttribute('data-label') || '';
    box.placeholder = hidden.getAttribute('data-placeholder') || '输入名称搜索';
    box.setAttribute('aria-label', box.placeholder);
    var list = document.createElement('ul');
    list.className = 'pick-list';
    list.hidden = true;
    var wrap = document.createElement('span');
    wrap.className = 'pick';
    hidden.parentNode.insertBefore(wrap, hidden);
    wrap.appendChild(hidden);
    wrap.appendChild(box);
    wrap.appendChild(list);
    var timer = null, seq = 0, active = -1, items = [];
    function choose(c) {
      hidden.value = c.id;
      box.value = c.label;
      box.setCustomValidity('');
      list.hidden = true;
      hidden.dispatchEvent(new Event('change', { bubbles: true }));
    }
    function mark(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) { li.className = j === i ? 'on' : ''; });
    }
    function show(choices) {
      items = choices;
      list.innerHTML = '';
      choices.forEach(function (c, i) {
        var li = document.createElement('li');
        var b = document.createElement('b');
        b.textContent = c.label;
        var s = document.createElement('small');
        s.textContent = c.detail;
        li.appendChild(b);
        li.appendChild(s);
        li.addEventListener('mousedown', function (e) { e.preventDefault(); choose(c); });
        list.appendChild(li);
      });
      if (!choices.length) {
        var none = document.createElement('li');
        none.className = 'none';
        none.textContent = '没有找到，请换个写法（姓名、拼音首字母、编码）';
        list.appendChild(none);
      }
      list.hidden = false;
      mark(-1);
    }
    box.addEventListener('input', function () {
      hidden.value = '';
      clearTimeout(timer);
      var q = box.value.trim();
      if (!q) { list.hidden = true; return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        var extra = hidden.getAttribute('data-pick-args');
        fetch('/pick/' + kind + '?q=' + encodeURIComponent(q) + (extra ? '&' + extra : ''), { credentials: 'same-origin', headers: { accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (c) { if (mine === seq) show(c); })
          .catch(function () {});
      }, 200);
    });
    box.addEventListener('keydown', function (e) {
      if (list.hidden) return;
      if (e.key === 'ArrowDown') { e.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); mark(Math.max(active - 1, 0)); }
      else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); choose(items[active]); }
      else if (e.key === 'Escape') { list.hidden = true; }
    });
    box.addEventListener('blur', function () { setTimeout(function () { list.hidden = true; }, 150); });
    var form = hidden.form || box.form;
    if (form) {
      form.addEventListener('submit', function (e) {
        if (hidden.hasAttribute('data-required') && !hidden.value) {
          e.preventDefault();
          box.setCustomValidity('请从搜索结果中选择一项');
          box.reportValidity();
        }
      });
    }
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll('input[data-pick]'), setup);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();

// Phones: a table whose first row is headers becomes one card per row below 600 px
// (CSS in app.css); each cell gets its column's name to show beside it.
(function () {
  function cardify() {
    Array.prototype.forEach.call(document.querySelectorAll('main table'), function (t) {
      var head = t.rows[0];
      if (!head || t.rows.length < 2) return;
      var names = Array.prototype.map.call(head.cells, function (c) { return c.tagName === 'TH' ? c.textContent.trim() : null; });
      if (names.some(function (n) { return n === null; })) return;
      t.classList.add('cardable');
      Array.prototype.forEach.call(t.rows, function (r, i) {
        if (i === 0) return;
        Array.prototype.forEach.call(r.cells, function (c, j) {
          if (!c.hasAttribute('data-l') && names[j]) c.setAttribute('data-l', names[j]);
          // A cell laid out as a row: its label, then its content as one block (text, <br>, <small>).
          if (c.childNodes.length > 1) {
            var w = document.createElement('div');
            while (c.firstChild) w.appendChild(c.firstChild);
            c.appendChild(w);
          }
        });
      });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', cardify); else cardify();
})();

// A button marked data-print prints the page (the print stylesheet hides menus and forms).
document.addEventListener('click', function (e) {
  var b = e.target.closest && e.target.closest('[data-print]');
  if (b) { e.preventDefault(); window.print(); }
});

// Uploads (imports): a form marked data-progress shows how much of the file has gone up, then
// that the rows are being checked; the answer page replaces this one as a normal submit would.
document.addEventListener('submit', function (e) {
  var form = e.target;
  if (!form.hasAttribute || !form.hasAttribute('data-progress') || !window.XMLHttpRequest || !window.FormData) return;
  e.preventDefault();
  var bar = document.createElement('progress');
  bar.max = 100;
  bar.value = 0;
  var text = document.createElement('span');
  text.className = 'crumbs';
  text.textContent = ' 正在上传……';
  var box = document.createElement('p');
  box.setAttribute('role', 'status');
  box.appendChild(bar);
  box.appendChild(text);
  form.parentNode.insertBefore(box, form.nextSibling);
  Array.prototype.forEach.call(form.querySelectorAll('button'), function (b) { b.disabled = true; });
  var xhr = new XMLHttpRequest();
  xhr.open('POST', form.action);
  xhr.upload.onprogress = function (ev) {
    if (ev.lengthComputable) {
      bar.value = Math.round(ev.loaded * 100 / ev.total);
      text.textContent = ' 正在上传 ' + bar.value + '%';
    }
  };
  xhr.upload.onload = function () {
    bar.removeAttribute('value');
    text.textContent = ' 已上传，正在逐行检查并写入，请勿关闭页面……';
  };
  xhr.onload = function () {
    document.open();
    document.write(xhr.responseText);
    document.close();
  };
  xhr.onerror = function () {
    text.textContent = ' 网络中断，未能上传，请重试。';
    Array.prototype.forEach.call(form.querySelectorAll('button'), function (b) { b.disabled = false; });
  };
  xhr.send(new FormData(form));
});
