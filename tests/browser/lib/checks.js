// Checks run inside the page: layout and accessibility facts that a person (or a screen reader) meets.

/** The document's scroll width and the elements that stick out to the right of the viewport. */
export function horizontalOverflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const culprits = [];
    for (const el of document.body.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      if (rect.width > 0 && rect.right > width + 0.5) {
        const name = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + (el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : '');
        culprits.push({ element: name, right: Math.round(rect.right) });
      }
    }
    return {
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: width,
      culprits: culprits.slice(0, 5),
    };
  });
}

/**
 * Form controls (input other than hidden, select, textarea) without an accessible label: a visible
 * <label> tied to it (for= or wrapping), or aria-labelledby pointing at text, or aria-label. Returns a
 * description of each offender (empty when all is well).
 */
export function unlabelledControls(page) {
  return page.evaluate(() => {
    const visible = (el) => {
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      return style.display !== 'none' && style.visibility !== 'hidden' && rect.width > 0 && rect.height > 0;
    };
    const offenders = [];
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const labels = [...(el.labels || [])].filter((label) => label.textContent.trim() && visible(label));
      const labelledBy = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
        .map((id) => document.getElementById(id)).filter((ref) => ref && ref.textContent.trim());
      const ariaLabel = (el.getAttribute('aria-label') || '').trim();
      if (labels.length === 0 && labelledBy.length === 0 && !ariaLabel) {
        offenders.push(el.outerHTML.slice(0, 200));
      }
    }
    return offenders;
  });
}

/** The focused element: a short description and whether it shows a focus indicator (outline). */
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { element: 'body', id: '', outlineStyle: 'none', outlineWidth: '0px' };
    const style = getComputedStyle(el);
    return {
      element: el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + (el.getAttribute('type') ? `[type=${el.getAttribute('type')}]` : ''),
      id: el.id,
      tag: el.tagName.toLowerCase(),
      type: el.getAttribute('type') || '',
      text: (el.innerText || el.value || '').trim().slice(0, 40),
      outlineStyle: style.outlineStyle,
      outlineWidth: style.outlineWidth,
      outlineColor: style.outlineColor,
      focusVisible: el.matches(':focus-visible'),
    };
  });
}

/**
 * WCAG contrast between the focused element's outline colour and the background it is drawn on (the
 * nearest ancestor with an opaque background, since outlines are drawn outside the element), as in
 * WCAG 2.2 SC 1.4.11 (non-text contrast, 3:1) and 2.4.13 (focus appearance).
 */
export function focusOutlineContrast(page) {
  return page.evaluate(() => {
    const parse = (css) => {
      const m = css.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }) => {
      const lin = (v) => { const c = v / 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const el = document.activeElement;
    const outline = parse(getComputedStyle(el).outlineColor);
    let background = { r: 255, g: 255, b: 255, a: 1 };
    let behind = 'canvas';
    for (let node = el.parentElement; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg.a > 0) { background = bg; behind = node.tagName.toLowerCase() + (node.className ? `.${node.className}` : ''); break; }
    }
    const [hi, lo] = [luminance(outline), luminance(background)].sort((x, y) => y - x);
    return {
      element: el.tagName.toLowerCase() + (el.id ? `#${el.id}` : ''),
      outline: getComputedStyle(el).outlineColor,
      background: `rgb(${background.r}, ${background.g}, ${background.b})`,
      behind,
      ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100,
    };
  });
}

/**
 * Interactive elements smaller than 44 × 44 px (WCAG 2.5.5): buttons, fields, and links that stand on
 * their own (not inside a sentence: a link is exempt when its parent block has other text around it).
 * Checkboxes and radios are measured with their label, which is what a finger hits. Returns the offenders.
 */
export function smallTapTargets(page) {
  return page.evaluate(() => {
    const offenders = [];
    const visible = (el) => {
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      return style.display !== 'none' && style.visibility !== 'hidden' && rect.width > 0 && rect.height > 0;
    };
    const inSentence = (a) => {
      const block = a.parentElement;
      if (!block) return false;
      const own = a.textContent.trim();
      const around = block.textContent.replace(own, '').replace(/[\s·|()（）]+/g, '');
      return around.length > 0 && !block.matches('.links, nav, nav *, .top, header');
    };
    for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')) {
      if (!visible(el) || el.closest('.skip')) continue;
      if (el.tagName === 'A' && inSentence(el)) continue;
      let rect = el.getBoundingClientRect();
      if (el.matches('input[type=checkbox], input[type=radio]')) {
        const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
        if (label) rect = label.getBoundingClientRect();
      }
      if (rect.height < 43.5 || rect.width < 43.5) {
        offenders.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent || el.value || '').trim().slice(0, 30)}" ${Math.round(rect.width)}×${Math.round(rect.height)}`);
      }
    }
    return offenders;
  });
}

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA rules), as
 * "rule: target" lines. The page's CSP forbids injected scripts, so the context must be opened with
 * `bypassCSP: true`.
 */
export async function axeViolations(page) {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const results = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

/**
 * Chinese text on a page that should be all English: text nodes, the title, and attributes a person or
 * a screen reader meets (aria-label, placeholder, title, alt, the data-* messages scripts show, and text
 * drawn by ::before and ::after).
 * `keep` lists data that is Chinese whatever the language (names of people, systems, halls); the
 * language switch, marked lang="zh-CN", is Chinese by design. Returns the offending snippets.
 */
export function untranslated(page, keep = []) {
  return page.evaluate((keep) => {
    const chinese = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;
    const strip = (text) => keep.reduce((rest, data) => rest.split(data).join(''), text);
    const found = [];
    if (chinese.test(strip(document.title))) found.push(`title: ${document.title}`);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || el.closest('[lang^="zh"], script, style')) continue;
      const text = strip(node.textContent);
      if (chinese.test(text)) found.push(`${el.tagName.toLowerCase()}: ${text.trim().slice(0, 80)}`);
    }
    for (const el of document.body.querySelectorAll('*')) {
      if (el.closest('[lang^="zh"]')) continue;
      for (const pseudo of ['::before', '::after']) {
        const content = getComputedStyle(el, pseudo).content;
        if (content && content !== 'none' && chinese.test(strip(content))) found.push(`${el.tagName.toLowerCase()}${pseudo}: ${content.slice(0, 80)}`);
      }
      for (const { name, value } of el.attributes) {
        const read = ['aria-label', 'placeholder', 'title', 'alt'].includes(name) || name.startsWith('data-');
        if (read && chinese.test(strip(value))) found.push(`${el.tagName.toLowerCase()}[${name}]: ${value.slice(0, 80)}`);
      }
    }
    return found;
  }, keep);
}

/**
 * Form controls left in the browser's default look: smaller than 40 px high, text under 15 px, or a
 * button with Chromium's grey default face. Returns the offenders.
 */
export function unstyledControls(page) {
  return page.evaluate(() => {
    const offenders = [];
    for (const el of document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, button, a.button')) {
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      if (style.display === 'none' || style.visibility === 'hidden' || rect.width === 0) continue;
      const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.type ? `[${el.type}]` : ''} "${(el.textContent || el.value || '').trim().slice(0, 24)}"`;
      if (el.closest('.links, p, td, .inline-form') && el.matches('button.link')) continue;
      if (rect.height < 39.5) offenders.push(`${name}: ${Math.round(rect.height)} px high`);
      if (parseFloat(style.fontSize) < 15) offenders.push(`${name}: ${style.fontSize} text`);
      if (el.tagName === 'BUTTON' && style.backgroundColor === 'rgb(239, 239, 239)') offenders.push(`${name}: default grey face`);
    }
    return offenders;
  });
}
