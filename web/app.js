/* techmart search page: plain JavaScript, no build step, no dependencies.
 *
 * The whole state of the page is in the URL (?q=...&field=...&page=...&id=...):
 * links are real links (they open in a new tab, can be shared), clicks on them
 * are turned into history.pushState, and back/forward re-render from the URL.
 *
 * Safety: every value from the server is inserted as text, except the search
 * snippet, which the server has HTML-escaped with <mark> highlights; it is
 * parsed inertly and only its text and <mark> elements are copied. */
'use strict';

(function () {
    /* ---------- vocabularies (wire name -> [Korean, English]) ---------- */

    const FIELDS = {
        'bio-medical': ['바이오·의료', 'Bio-medical'],
        ict: ['정보통신', 'ICT'],
        electronics: ['전기·전자', 'Electronics'],
        mechanical: ['기계', 'Mechanical'],
        materials: ['소재', 'Materials'],
        chemical: ['화학', 'Chemical'],
        energy: ['에너지', 'Energy'],
        environment: ['환경', 'Environment'],
        construction: ['건설', 'Construction'],
        'agri-food': ['농림·식품', 'Agri-food'],
        other: ['기타', 'Other'],
    };
    const STATUSES = {
        available: ['이전 가능', 'Available'],
        negotiating: ['협상 중', 'Negotiating'],
        licensed: ['이전 완료', 'Licensed'],
        withdrawn: ['철회', 'Withdrawn'],
    };
    const LICENCES = {
        exclusive: ['전용실시', 'Exclusive licence'],
        'non-exclusive': ['통상실시', 'Non-exclusive licence'],
        assignment: ['양도', 'Assignment'],
        'joint-research': ['공동연구', 'Joint research'],
    };
    const GROUPS = {
        forum: ['산학연 협력 포럼', 'Industry-academia forum'],
        dongbuk4: ['동북4구 대학', 'Dongbuk 4-gu universities'],
        hongneung: ['홍릉 클러스터', 'Hongneung cluster'],
    };
    const KINDS = {
        university: ['대학', 'University'],
        'research-institute': ['연구기관', 'Research institute'],
        company: ['기업', 'Company'],
        agency: ['공공기관', 'Agency'],
        other: ['기타', 'Other'],
    };
    const PATENT_WORDS = {
        registered: ['등록', 'Registered'],
        filed: ['출원', 'Filed'],
        published: ['공개', 'Published'],
        expired: ['소멸', 'Expired'],
        abandoned: ['포기', 'Abandoned'],
        patent: ['특허', 'Patent'],
        'utility-model': ['실용신안', 'Utility model'],
    };
    const SORT_DEFAULT_Q = 'relevance';
    const SORT_DEFAULT = 'newest';
    const PER_PAGE_DEFAULT = 20;
    const RESULT_WINDOW = 10000; /* deepest result the API pages to */
    const FACET_SHOWN = 10; /* values shown before "more" */

    /* Search parameters kept in the URL, in this order. */
    const PARAMS = ['q', 'field', 'institution', 'group', 'status', 'trl_min', 'trl_max',
        'licence', 'sort', 'page', 'per_page'];

    /* ---------- small helpers ---------- */

    const $ = (id) => document.getElementById(id);

    /* h('a', {href: x, class: 'y'}, 'text', node, [more]) -> element.
     * Strings become text nodes: never HTML. */
    function h(tag, attrs, ...kids) {
        const el = document.createElement(tag);
        if (attrs) {
            for (const k of Object.keys(attrs)) {
                const v = attrs[k];
                if (v === null || v === undefined || v === false) continue;
                if (k === 'class') el.className = v;
                else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
                else el.setAttribute(k, v === true ? '' : String(v));
            }
        }
        append(el, kids);
        return el;
    }

    function append(el, kids) {
        for (const kid of kids) {
            if (kid === null || kid === undefined || kid === false) continue;
            if (Array.isArray(kid)) append(el, kid);
            else el.append(kid instanceof Node ? kid : String(kid));
        }
        return el;
    }

    /* "한국어 English" with the English part marked as such. */
    function bi(pair) {
        const f = document.createDocumentFragment();
        f.append(pair[0]);
        if (pair[1]) {
            f.append(' ');
            f.append(h('span', { lang: 'en', class: 'en' }, pair[1]));
        }
        return f;
    }

    function biText(pair) {
        return pair[1] ? pair[0] + ' ' + pair[1] : pair[0];
    }

    function label(table, v) {
        return table[v] || [String(v), ''];
    }

    const numFmt = new Intl.NumberFormat('ko-KR');
    const fmt = (n) => numFmt.format(n);

    function clear(el) {
        while (el.firstChild) el.removeChild(el.firstChild);
        return el;
    }

    /* A search snippet (HTML-escaped text with <mark>) as DOM nodes: parsed in
     * an inert document (no script runs, nothing loads), then only text and
     * <mark> are copied over. */
    function snippetNodes(html) {
        const doc = new DOMParser().parseFromString('<!doctype html><body>' + html, 'text/html');
        const out = document.createDocumentFragment();
        (function walk(src, dst) {
            for (const n of src.childNodes) {
                if (n.nodeType === Node.TEXT_NODE) {
                    dst.append(n.data);
                } else if (n.nodeType === Node.ELEMENT_NODE) {
                    if (n.tagName === 'MARK') {
                        const m = document.createElement('mark');
                        walk(n, m);
                        dst.append(m);
                    } else {
                        walk(n, dst);
                    }
                }
            }
        })(doc.body, out);
        return out;
    }

    /* ---------- state <-> URL ---------- */

    /* {params: {q: .., field: ..}, id: '12' | null} from a query string. */
    function readUrl(search) {
        const u = new URLSearchParams(search);
        const params = {};
        for (const k of PARAMS) {
            const v = u.get(k);
            if (v !== null && v.trim() !== '') params[k] = k === 'q' ? v : v.trim();
        }
        const id = u.get('id');
        return { params, id: id && id.trim() !== '' ? id.trim() : null };
    }

    /* Query string of params with changes applied (a null change removes a
     * parameter). Any change other than page itself goes back to page 1. */
    function queryOf(params, changes) {
        const m = Object.assign({}, params);
        if (changes) {
            if (!('page' in changes)) delete m.page;
            for (const k of Object.keys(changes)) {
                if (changes[k] === null || changes[k] === undefined || changes[k] === '') delete m[k];
                else m[k] = String(changes[k]);
            }
        }
        if (m.page === '1') delete m.page;
        const u = new URLSearchParams();
        for (const k of PARAMS) if (m[k] !== undefined) u.set(k, m[k]);
        return u.toString();
    }

    /* href for a search (and, with id, for the detail view over it). */
    function hrefOf(params, changes, id) {
        let qs = queryOf(params, changes);
        if (id !== undefined && id !== null) qs += (qs ? '&' : '') + 'id=' + encodeURIComponent(id);
        return qs ? '?' + qs : location.pathname;
    }

    function currentSort(params) {
        return params.sort || (params.q && params.q.trim() ? SORT_DEFAULT_Q : SORT_DEFAULT);
    }

    /* ---------- fetching ---------- */

    class ApiError extends Error {
        constructor(status, message, field, code) {
            super(message);
            this.status = status;
            this.field = field || '';
            this.code = code || '';
        }
    }

    async function getJson(path, signal) {
        let res;
        try {
            res = await fetch(path, { headers: { Accept: 'application/json' }, signal });
        } catch (e) {
            if (e.name === 'AbortError') throw e;
            throw new ApiError(0, '서버에 연결할 수 없습니다. Cannot reach the server.');
        }
        let body = null;
        try {
            body = await res.json();
        } catch (e) {
            if (e.name === 'AbortError') throw e;
            body = null;
        }
        if (!res.ok) {
            const err = body && body.error;
            if (err && typeof err.message === 'string') {
                throw new ApiError(res.status, err.message, err.field, err.code);
            }
            throw new ApiError(res.status, '서버 오류 Server error (HTTP ' + res.status + ')');
        }
        if (body === null || typeof body !== 'object') {
            throw new ApiError(res.status, '잘못된 응답 Invalid answer from the server');
        }
        return body;
    }

    /* A small cache so that back/forward re-renders at once (and can restore
     * the scroll position) without asking the server again. */
    const cache = new Map();
    const CACHE_MAX = 30;
    function cachePut(key, value) {
        cache.delete(key);
        cache.set(key, value);
        while (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value);
    }

    let institutions = null; /* Map id(string) -> institution, once loaded */
    let institutionsLoading = null;

    function loadInstitutions() {
        if (!institutionsLoading) {
            institutionsLoading = getJson('api/v1/institutions')
                .then((body) => {
                    const m = new Map();
                    for (const it of body.items || []) m.set(String(it.id), it);
                    institutions = m;
                })
                .catch(() => {
                    institutions = new Map(); /* facet shows ids; not worth an error */
                });
        }
        return institutionsLoading;
    }

    /* A facet may name an institution added after the list was loaded:
     * reload the list once per page view, then re-render. */
    let institutionsReloaded = false;
    function noteUnknownInstitution() {
        if (institutionsReloaded || !institutions) return;
        institutionsReloaded = true;
        institutionsLoading = null;
        loadInstitutions().then(() => {
            if (state.lastSearch && state.id === null) {
                renderFacets(state.lastSearch.params, state.lastSearch.body.facets || {});
                renderActive(state.lastSearch.params);
            }
        });
    }

    function instName(id) {
        const it = institutions && institutions.get(String(id));
        if (!it) {
            noteUnknownInstitution();
            return ['#' + id, ''];
        }
        return [it.name, it.name_en && it.name_en !== it.name ? it.name_en : ''];
    }

    /* Facet lists are narrow: the Korean name, the English one as a tooltip. */
    function instShortName(id) {
        return [instName(id)[0], ''];
    }

    /* ---------- page elements ---------- */

    const el = {
        form: $('search'), q: $('q'), sort: $('sort'), perPage: $('per_page'),
        trlMin: $('trl_min'), trlMax: $('trl_max'),
        error: $('error'), live: $('live'), main: $('main'),
        searchView: $('search-view'), detailView: $('detail-view'),
        count: $('count'), results: $('results'), empty: $('empty'), pager: $('pager'),
        facets: $('facets'), active: $('active-filters'),
        filtersToggle: $('filters-toggle'), filtersBody: $('filters-body'), filtersN: $('filters-active-n'),
    };

    const state = { params: {}, id: null, seq: 0, abort: null, lastSearch: null };
    const expanded = new Set(); /* facets showing all their values */

    /* ---------- errors ---------- */

    function showError(e, extra) {
        clear(el.error);
        const msg = e instanceof ApiError ? e.message : '알 수 없는 오류 Unexpected error: ' + e;
        const p = h('p', null, h('strong', null, '오류 ', h('span', { lang: 'en' }, 'Error'), ': '), msg);
        if (e.field) p.append(' ', h('span', { class: 'field' }, '(' + e.field + ')'));
        el.error.append(p);
        if (extra) el.error.append(extra);
        el.error.hidden = false;
        if (e.field === 'q') el.q.setAttribute('aria-invalid', 'true');
    }

    function hideError() {
        el.error.hidden = true;
        clear(el.error);
        el.q.removeAttribute('aria-invalid');
    }

    /* ---------- controls ---------- */

    function initControls() {
        for (const sel of [el.trlMin, el.trlMax]) {
            sel.append(h('option', { value: '' }, '전체 Any'));
            for (let i = 1; i <= 9; i++) sel.append(h('option', { value: String(i) }, String(i)));
        }
    }

    function setSelect(sel, value) {
        if (![...sel.options].some((o) => o.value === value)) {
            sel.append(h('option', { value }, value));
        }
        sel.value = value;
    }

    function syncControls(params) {
        el.q.value = params.q || '';
        setSelect(el.sort, currentSort(params));
        setSelect(el.perPage, params.per_page || String(PER_PAGE_DEFAULT));
        setSelect(el.trlMin, params.trl_min || '');
        setSelect(el.trlMax, params.trl_max || '');
    }

    /* ---------- navigation ---------- */

    function navigate(url, opts) {
        const o = opts || {};
        /* remember where we were, for back */
        history.replaceState(Object.assign({}, history.state, { scrollY: window.scrollY }), '');
        const target = new URL(url, location.href);
        if (target.search === location.search && target.pathname === location.pathname) {
            render(o);
            return;
        }
        history.pushState({ scrollY: 0, fromList: !!o.fromList }, '', target.pathname + target.search);
        render(o);
    }

    document.addEventListener('click', (ev) => {
        const a = ev.target.closest && ev.target.closest('a[data-nav]');
        if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
        ev.preventDefault();
        const kind = a.getAttribute('data-nav');
        if (kind === 'back' && history.state && history.state.fromList) {
            history.back();
            return;
        }
        navigate(a.getAttribute('href'), {
            fromList: kind === 'detail',
            focusKey: a.getAttribute('data-key'),
            focus: kind === 'page' || kind === 'detail' || kind === 'back' || kind === 'search' ? 'top' : null,
        });
    });

    window.addEventListener('popstate', () => render({ restore: true }));

    el.form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const q = el.q.value.trim();
        navigate(hrefOf(state.params, { q: q || null, sort: keepSort(state.params.sort, q) }));
    });

    /* An explicit sort survives a new query unless it was the default for
     * the old one (relevance makes no sense without a query). */
    function keepSort(sort, q) {
        if (!sort) return null;
        const def = q ? SORT_DEFAULT_Q : SORT_DEFAULT;
        return sort === def ? null : sort;
    }

    el.sort.addEventListener('change', () => {
        const v = el.sort.value;
        const def = state.params.q && state.params.q.trim() ? SORT_DEFAULT_Q : SORT_DEFAULT;
        navigate(hrefOf(state.params, { sort: v === def ? null : v }));
    });

    el.perPage.addEventListener('change', () => {
        const v = el.perPage.value;
        navigate(hrefOf(state.params, { per_page: v === String(PER_PAGE_DEFAULT) ? null : v }));
    });

    function onTrlChange(which) {
        const min = el.trlMin.value;
        const max = el.trlMax.value;
        const c = { trl_min: min || null, trl_max: max || null };
        if (min && max && Number(min) > Number(max)) {
            /* keep the range valid: move the other bound */
            if (which === 'min') c.trl_max = min;
            else c.trl_min = max;
        }
        navigate(hrefOf(state.params, c));
    }
    el.trlMin.addEventListener('change', () => onTrlChange('min'));
    el.trlMax.addEventListener('change', () => onTrlChange('max'));

    /* Filters panel: a toggle on narrow screens, always open on wide ones. */
    const wide = window.matchMedia('(min-width: 52em)');
    function setFiltersOpen(open) {
        el.filtersToggle.setAttribute('aria-expanded', open ? 'true' : 'false');
        el.filtersBody.hidden = !open;
    }
    el.filtersToggle.addEventListener('click', () => {
        setFiltersOpen(el.filtersToggle.getAttribute('aria-expanded') !== 'true');
    });
    function onWidth() {
        setFiltersOpen(wide.matches);
    }
    if (wide.addEventListener) wide.addEventListener('change', onWidth);
    else wide.addListener(onWidth);

    /* ---------- render ---------- */

    function render(opts) {
        const o = opts || {};
        const { params, id } = readUrl(location.search);
        state.params = params;
        state.id = id;
        syncControls(params);
        hideError();
        if (state.abort) state.abort.abort();
        state.abort = new AbortController();
        const seq = ++state.seq;
        if (id !== null) showDetail(id, seq, o);
        else showSearch(params, seq, o);
    }

    function afterRender(o) {
        if (o.restore && history.state && typeof history.state.scrollY === 'number') {
            window.scrollTo(0, history.state.scrollY);
            return;
        }
        if (o.focusKey) {
            const again = document.querySelector('[data-key="' + CSS.escape(o.focusKey) + '"]');
            if (again) {
                again.focus();
            } else {
                el.count.focus({ preventScroll: true });
            }
            return;
        }
        if (o.focus === 'top') {
            const target = state.id !== null ? $('detail-title') : el.count;
            if (target) {
                target.focus({ preventScroll: true });
                const top = el.form.getBoundingClientRect().top + window.scrollY;
                if (window.scrollY > top) window.scrollTo(0, top);
            }
        }
    }

    function setBusy(busy) {
        el.main.setAttribute('aria-busy', busy ? 'true' : 'false');
        el.main.classList.toggle('loading', busy);
    }

    async function showSearch(params, seq, o) {
        el.detailView.hidden = true;
        el.searchView.hidden = false;
        document.title = (params.q ? params.q + ' — ' : '') + '기술 검색 Technology search — techmart';
        const qs = queryOf(params);
        const url = 'api/v1/technologies' + (qs ? '?' + qs : '');
        let body = cache.get(url);
        if (!body) {
            setBusy(true);
            try {
                const [b] = await Promise.all([getJson(url, state.abort.signal), loadInstitutions()]);
                body = b;
                cachePut(url, body);
            } catch (e) {
                if (e.name === 'AbortError' || seq !== state.seq) return;
                setBusy(false);
                renderSearchError(e, params);
                return;
            }
            if (seq !== state.seq) return;
            setBusy(false);
        }
        state.lastSearch = { params, body };
        renderSearch(params, body);
        afterRender(o);
    }

    function renderSearchError(e, params) {
        const fix = h('p', null);
        if (e.field && PARAMS.includes(e.field) && e.field !== 'q') {
            const change = {};
            change[e.field] = null;
            fix.append(h('a', { href: hrefOf(params, change), 'data-nav': 'search' },
                '이 조건 없이 검색 ', h('span', { lang: 'en' }, 'Search without ' + e.field)));
        } else if (e.field !== 'q') {
            fix.append(h('a', { href: location.pathname, 'data-nav': 'search' },
                '처음으로 ', h('span', { lang: 'en' }, 'Start over')));
        }
        showError(e, fix.firstChild ? fix : null);
        clear(el.count).append('검색하지 못했습니다 ', h('span', { lang: 'en' }, 'Search failed'));
        clear(el.results);
        el.empty.hidden = true;
        el.pager.hidden = true;
        clear(el.facets);
        renderActive(params);
    }

    function renderSearch(params, body) {
        const total = Number(body.total) || 0;
        const page = Number(body.page) || 1;
        const perPage = Number(body.per_page) || PER_PAGE_DEFAULT;
        const items = Array.isArray(body.items) ? body.items : [];

        /* count */
        clear(el.count);
        if (total === 0) {
            el.count.append('결과 없음 ', h('span', { lang: 'en' }, 'No results'));
        } else {
            const first = (page - 1) * perPage + 1;
            const last = first + items.length - 1;
            el.count.append('총 ', h('strong', null, fmt(total)), '건 ',
                h('span', { lang: 'en' }, fmt(total) + (total === 1 ? ' result' : ' results')));
            if (items.length > 0) {
                el.count.append(h('span', { class: 'range' }, ' (' + fmt(first) + '–' + fmt(last) + ')'));
            }
            if (body.relaxed) {
                const strict = Number(body.strict_total) || 0;
                el.count.append(h('span', { class: 'relaxed' },
                    ' — 모든 단어를 포함한 기술 ' + fmt(strict) + '건, 일부 단어를 포함한 기술까지 표시 ',
                    h('span', { lang: 'en' }, '(' + fmt(strict) + ' with all the words; showing those with any)')));
            }
        }
        el.live.textContent = total === 0 ? '결과 없음 No results' :
            '총 ' + fmt(total) + '건 ' + fmt(total) + ' results';

        /* items */
        clear(el.results);
        el.results.start = (page - 1) * perPage + 1;
        for (const it of items) el.results.append(renderHit(it, params));

        /* empty */
        clear(el.empty);
        el.empty.hidden = total !== 0;
        if (total === 0) {
            el.empty.append('조건에 맞는 기술이 없습니다. ', h('span', { lang: 'en' }, 'No technology matches.'), ' ');
            if (hasFilters(params)) {
                el.empty.append(h('a', { href: hrefOf(params, clearFilters()), 'data-nav': 'search' },
                    '필터 없이 다시 검색 ', h('span', { lang: 'en' }, 'Search again without filters')));
            } else if (params.q) {
                el.empty.append('다른 검색어나 더 적은 단어로 찾아 보세요. ',
                    h('span', { lang: 'en' }, 'Try other or fewer words.'));
            }
        }

        renderPager(params, total, page, perPage);
        renderFacets(params, body.facets || {});
        renderActive(params);
    }

    function renderHit(it, params) {
        const title = it.title || it.title_en || '(제목 없음 untitled)';
        const li = h('li', { class: 'hit' });
        /* A record without a summary gets its title as the snippet: then the
         * highlights go on the title and the snippet is not repeated. */
        let snippet = it.snippet ? snippetNodes(it.snippet) : null;
        let titleContent = title;
        if (snippet && snippet.textContent.trim() === title.trim()) {
            titleContent = snippet;
            snippet = null;
        }
        li.append(h('h3', { class: 'hit-title' },
            h('a', { href: hrefOf(params, null, it.id), 'data-nav': 'detail' }, titleContent)));
        if (it.title_en && it.title_en !== it.title) {
            li.append(h('p', { class: 'hit-title-en', lang: 'en' }, it.title_en));
        }
        const meta = h('ul', { class: 'meta' });
        if (it.institution) meta.append(h('li', { class: 'inst' }, it.institution));
        if (it.field) meta.append(h('li', null, bi(label(FIELDS, it.field))));
        if (it.trl) meta.append(h('li', null, 'TRL ' + it.trl));
        if (it.status) meta.append(h('li', { class: 'status status-' + it.status }, bi(label(STATUSES, it.status))));
        for (const l of it.licence || []) meta.append(h('li', { class: 'licence' }, bi(label(LICENCES, l))));
        li.append(meta);
        if (snippet) li.append(h('p', { class: 'snippet' }, snippet));
        return li;
    }

    function renderPager(params, total, page, perPage) {
        clear(el.pager);
        const maxPage = Math.max(1, Math.min(Math.ceil(total / perPage), Math.floor(RESULT_WINDOW / perPage)));
        if (maxPage <= 1 && page <= 1) {
            el.pager.hidden = true;
            return;
        }
        el.pager.hidden = false;
        const ul = h('ul');
        const link = (p, text, rel, cls) => h('li', { class: cls },
            h('a', { href: hrefOf(params, { page: p }), 'data-nav': 'page', rel }, text));
        const off = (text, cls) => h('li', { class: cls }, h('span', { class: 'off', 'aria-disabled': 'true' }, text));
        const prevText = ['← 이전 ', h('span', { lang: 'en' }, 'Previous')];
        const nextText = ['다음 ', h('span', { lang: 'en' }, 'Next'), ' →'];
        ul.append(page > 1 ? link(Math.min(page - 1, maxPage), prevText, 'prev', 'prev') : off(prevText, 'prev'));
        const pages = new Set([1, maxPage]);
        for (let p = page - 2; p <= page + 2; p++) if (p >= 1 && p <= maxPage) pages.add(p);
        let prev = 0;
        for (const p of [...pages].sort((a, b) => a - b)) {
            if (p - prev > 1) ul.append(h('li', { class: 'gap', 'aria-hidden': 'true' }, '…'));
            if (p === page) {
                ul.append(h('li', null, h('span', { class: 'current', 'aria-current': 'page' },
                    h('span', { class: 'sr-only' }, '페이지 Page '), String(p))));
            } else {
                ul.append(h('li', null, h('a', { href: hrefOf(params, { page: p }), 'data-nav': 'page' },
                    h('span', { class: 'sr-only' }, '페이지 Page '), String(p))));
            }
            prev = p;
        }
        ul.append(page < maxPage ? link(page + 1, nextText, 'next', 'next') : off(nextText, 'next'));
        el.pager.append(ul);
        if (Math.ceil(total / perPage) > maxPage) {
            el.pager.append(h('p', { class: 'note' }, '앞의 ' + fmt(RESULT_WINDOW) + '건까지 볼 수 있습니다. 검색어나 필터로 좁혀 보세요. ',
                h('span', { lang: 'en' }, 'Only the first ' + fmt(RESULT_WINDOW) + ' results can be browsed; narrow the search.')));
        }
    }

    /* ---------- facets ---------- */

    const FACETS = [
        { key: 'field', title: ['분야', 'Field'], label: (v) => label(FIELDS, v), order: 'count' },
        { key: 'status', title: ['상태', 'Status'], label: (v) => label(STATUSES, v), order: Object.keys(STATUSES) },
        { key: 'trl', title: ['기술성숙도', 'TRL'], label: (v) => (v === '0' ? ['미상', 'Unknown'] : ['TRL ' + v, '']), order: 'trl' },
        { key: 'licence', title: ['실시 형태', 'Licence'], label: (v) => label(LICENCES, v), order: Object.keys(LICENCES) },
        { key: 'group', title: ['기관 그룹', 'Group'], label: (v) => label(GROUPS, v), order: 'count' },
        { key: 'institution', title: ['기관', 'Institution'], label: (v) => instShortName(v), order: 'count' },
    ];

    function facetEntries(def, counts, params) {
        const entries = Object.keys(counts).map((k) => [k, Number(counts[k]) || 0]);
        const selected = selectedValue(def.key, params);
        if (selected !== null && !entries.some((e) => e[0] === selected)) entries.push([selected, 0]);
        const shown = entries.filter((e) => e[1] > 0 || e[0] === selected);
        if (def.order === 'trl') {
            shown.sort((a, b) => (a[0] === '0') - (b[0] === '0') || Number(a[0]) - Number(b[0]));
        } else if (Array.isArray(def.order)) {
            const rank = (v) => (def.order.indexOf(v) < 0 ? 1e9 : def.order.indexOf(v));
            shown.sort((a, b) => rank(a[0]) - rank(b[0]));
        } else {
            shown.sort((a, b) => b[1] - a[1] || biText(def.label(a[0])).localeCompare(biText(def.label(b[0])), 'ko'));
        }
        return shown;
    }

    /* The value a facet has selected in params, or null. TRL is selected
     * when the range is exactly one level. */
    function selectedValue(key, params) {
        if (key === 'trl') {
            return params.trl_min && params.trl_min === params.trl_max ? params.trl_min : null;
        }
        return params[key] !== undefined ? params[key] : null;
    }

    function facetHref(key, value, params, selected) {
        if (key === 'trl') {
            return selected ? hrefOf(params, { trl_min: null, trl_max: null })
                : hrefOf(params, { trl_min: value, trl_max: value });
        }
        const c = {};
        c[key] = selected ? null : value;
        return hrefOf(params, c);
    }

    function renderFacets(params, facets) {
        clear(el.facets);
        for (const def of FACETS) {
            const counts = facets[def.key];
            if (!counts || typeof counts !== 'object') continue;
            const entries = facetEntries(def, counts, params);
            if (entries.length === 0) continue;
            const selected = selectedValue(def.key, params);
            const headId = 'facet-' + def.key;
            const sec = h('section', { class: 'facet', 'aria-labelledby': headId });
            sec.append(h('h3', { id: headId }, bi(def.title)));
            const ul = h('ul', { id: headId + '-list' });
            /* collapse long lists only, never to hide one or two values */
            const collapsible = entries.length > FACET_SHOWN + 3;
            const all = !collapsible || expanded.has(def.key);
            entries.forEach((e, i) => {
                const [value, n] = e;
                const isSel = value === selected;
                const li = h('li', { hidden: !all && i >= FACET_SHOWN && !isSel });
                const text = def.label(value);
                const content = [h('span', { class: 'facet-label' }, bi(text)),
                    h('span', { class: 'n' }, h('span', { class: 'sr-only' }, ', '), fmt(n),
                        h('span', { class: 'sr-only' }, '건 results'))];
                if (def.key === 'trl' && value === '0') {
                    li.append(h('span', { class: 'facet-value inert' }, content));
                } else {
                    const a = h('a', {
                        href: facetHref(def.key, value, params, isSel),
                        'data-nav': 'facet',
                        'data-key': def.key + '=' + value,
                        class: 'facet-value' + (isSel ? ' selected' : ''),
                        'aria-current': isSel ? 'true' : null,
                        title: isSel ? '필터 해제 Remove filter'
                            : def.key === 'institution' ? instName(value)[1] || null : null,
                    }, isSel ? h('span', { class: 'check', 'aria-hidden': 'true' }, '✓ ') : null, content,
                    isSel ? h('span', { class: 'sr-only' }, ' (선택됨, 누르면 해제 selected, activate to remove)') : null);
                    li.append(a);
                }
                ul.append(li);
            });
            sec.append(ul);
            if (collapsible) {
                const btn = h('button', {
                    type: 'button', class: 'more', 'aria-expanded': all ? 'true' : 'false',
                    'aria-controls': headId + '-list',
                }, all ? ['접기 ', h('span', { lang: 'en' }, 'Show fewer')]
                    : ['모두 보기 (' + fmt(entries.length) + ') ', h('span', { lang: 'en' }, 'Show all')]);
                btn.addEventListener('click', () => {
                    if (expanded.has(def.key)) expanded.delete(def.key);
                    else expanded.add(def.key);
                    if (state.lastSearch) renderFacets(state.lastSearch.params, state.lastSearch.body.facets || {});
                    const again = $(headId) && $(headId).parentNode.querySelector('button.more');
                    if (again) again.focus();
                });
                sec.append(btn);
            }
            el.facets.append(sec);
        }
    }

    function clearFilters() {
        return { field: null, institution: null, group: null, status: null, trl_min: null, trl_max: null, licence: null };
    }

    function hasFilters(params) {
        return Object.keys(clearFilters()).some((k) => params[k] !== undefined);
    }

    /* Chips for the filters in force, each a link that removes it. */
    function renderActive(params) {
        clear(el.active);
        const chips = [];
        const chip = (what, text, change) => chips.push(h('li', null,
            h('a', { href: hrefOf(params, change), 'data-nav': 'facet', class: 'chip', 'data-key': 'rm:' + what },
                h('span', { class: 'sr-only' }, '필터 해제 Remove filter: '), text,
                h('span', { class: 'x', 'aria-hidden': 'true' }, ' ×'))));
        if (params.field) chip('field', bi(label(FIELDS, params.field)), { field: null });
        if (params.status) chip('status', bi(label(STATUSES, params.status)), { status: null });
        if (params.licence) chip('licence', bi(label(LICENCES, params.licence)), { licence: null });
        if (params.group) chip('group', bi(label(GROUPS, params.group)), { group: null });
        if (params.institution) chip('institution', bi(instName(params.institution)), { institution: null });
        if (params.trl_min || params.trl_max) {
            const text = params.trl_min && params.trl_min === params.trl_max ? 'TRL ' + params.trl_min
                : 'TRL ' + (params.trl_min || '1') + '–' + (params.trl_max || '9');
            chip('trl', text, { trl_min: null, trl_max: null });
        }
        el.active.hidden = chips.length === 0;
        el.filtersN.hidden = chips.length === 0;
        el.filtersN.textContent = chips.length ? String(chips.length) : '';
        if (chips.length === 0) return;
        el.active.append(h('h3', null, '적용된 필터 ', h('span', { lang: 'en' }, 'Active filters')));
        el.active.append(h('ul', null, chips));
        if (chips.length > 1) {
            el.active.append(h('p', null, h('a', { href: hrefOf(params, clearFilters()), 'data-nav': 'facet', 'data-key': 'rm:all' },
                '모두 해제 ', h('span', { lang: 'en' }, 'Clear all'))));
        }
    }

    /* ---------- detail view ---------- */

    async function showDetail(id, seq, o) {
        el.searchView.hidden = true;
        el.detailView.hidden = false;
        const url = 'api/v1/technologies/' + encodeURIComponent(id);
        let t = cache.get(url);
        if (!t) {
            setBusy(true);
            clear(el.detailView).append(backLink(), h('p', { class: 'loading-text' }, '불러오는 중… ', h('span', { lang: 'en' }, 'Loading…')));
            try {
                [t] = await Promise.all([getJson(url, state.abort.signal), loadInstitutions()]);
                cachePut(url, t);
            } catch (e) {
                if (e.name === 'AbortError' || seq !== state.seq) return;
                setBusy(false);
                clear(el.detailView).append(backLink());
                showError(e);
                document.title = '오류 Error — techmart';
                afterRender(o);
                return;
            }
            if (seq !== state.seq) return;
            setBusy(false);
        }
        renderDetail(t);
        afterRender(o);
    }

    function backLink() {
        return h('p', { class: 'back' }, h('a', { href: hrefOf(state.params), 'data-nav': 'back' },
            '← 검색 결과로 ', h('span', { lang: 'en' }, 'Back to results')));
    }

    /* A link to a search for one field:term (quotes in the value dropped,
     * since a quote would end the phrase). */
    function termLink(field, value) {
        const v = String(value).replace(/"/g, ' ').trim();
        const q = field + ':"' + v + '"';
        return h('a', { href: hrefOf({}, { q }), 'data-nav': 'search', title: '이 ' + field + '로 검색 Search ' + q }, value);
    }

    function listOf(nodes) {
        const ul = h('ul', { class: 'inline-list' });
        for (const n of nodes) ul.append(h('li', null, n));
        return ul;
    }

    function renderDetail(t) {
        const v = clear(el.detailView);
        const title = t.title || t.title_en || '(제목 없음 untitled)';
        document.title = title + ' — techmart';
        v.append(backLink());
        const art = h('article', { 'aria-labelledby': 'detail-title' });
        art.append(h('h2', { id: 'detail-title', tabindex: '-1' }, title));
        if (t.title_en && t.title_en !== t.title) art.append(h('p', { class: 'title-en', lang: 'en' }, t.title_en));

        const badges = h('ul', { class: 'meta' });
        if (t.status) badges.append(h('li', { class: 'status status-' + t.status }, bi(label(STATUSES, t.status))));
        if (t.field) badges.append(h('li', null, bi(label(FIELDS, t.field))));
        if (t.trl) badges.append(h('li', null, 'TRL ' + t.trl));
        for (const l of t.licence || []) badges.append(h('li', { class: 'licence' }, bi(label(LICENCES, l))));
        if (badges.firstChild) art.append(badges);

        if (t.summary) {
            art.append(h('section', { class: 'text-block' }, h('h3', null, bi(['요약', 'Summary'])),
                h('p', { class: 'text' }, t.summary)));
        }
        if (t.description) {
            art.append(h('section', { class: 'text-block' }, h('h3', null, bi(['상세 설명', 'Description'])),
                h('p', { class: 'text' }, t.description)));
        }

        const dl = h('dl', { class: 'facts' });
        const row = (pair, value) => {
            if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return;
            dl.append(h('dt', null, bi(pair)), h('dd', null, value));
        };
        row(['기관', 'Institution'], t.institution
            ? (t.institution_id ? h('a', { href: hrefOf({}, { institution: t.institution_id }), 'data-nav': 'search',
                title: '이 기관의 기술 Technologies of this institution' }, t.institution) : t.institution)
            : null);
        const inst = t.institution_id && institutions && institutions.get(String(t.institution_id));
        if (inst) {
            if (inst.name_en && inst.name_en !== t.institution) row(['기관 영문명', 'Institution (English)'], h('span', { lang: 'en' }, inst.name_en));
            if (inst.kind) row(['기관 유형', 'Kind'], bi(label(KINDS, inst.kind)));
            if (inst.groups && inst.groups.length) {
                row(['기관 그룹', 'Groups'], listOf(inst.groups.map((g) =>
                    h('a', { href: hrefOf({}, { group: g }), 'data-nav': 'search' }, bi(label(GROUPS, g))))));
            }
        }
        row(['발명자', 'Inventors'], Array.isArray(t.inventors) && t.inventors.length ? listOf(t.inventors.map((x) => termLink('inventor', x))) : null);
        row(['키워드', 'Keywords'], Array.isArray(t.keywords) && t.keywords.length ? listOf(t.keywords.map((x) => termLink('keywords', x))) : null);
        row(['IPC 분류', 'IPC'], Array.isArray(t.ipc) && t.ipc.length ? listOf(t.ipc.map((x) => termLink('ipc', x))) : null);
        row(['분야', 'Field'], t.field ? bi(label(FIELDS, t.field)) : null);
        row(['기술성숙도', 'TRL'], t.trl ? String(t.trl) : null);
        row(['실시 형태', 'Licence'], Array.isArray(t.licence) && t.licence.length ? listOf(t.licence.map((l) => bi(label(LICENCES, l)))) : null);
        row(['희망 조건', 'Asking'], t.asking || null);
        row(['상태', 'Status'], t.status ? bi(label(STATUSES, t.status)) : null);
        row(['문의', 'Contact'], t.contact || null);
        row(['관리번호', 'External ID'], t.external_id ? h('code', null, t.external_id) : null);
        row(['등록', 'Listed'], t.created_at ? h('time', { datetime: t.created_at }, t.created_at) : null);
        row(['수정', 'Updated'], t.updated_at ? h('time', { datetime: t.updated_at }, t.updated_at) : null);
        row(['버전', 'Version'], t.version !== undefined && t.version !== null ? String(t.version) : null);
        art.append(h('section', { class: 'facts-block' }, h('h3', null, bi(['기술 정보', 'Details'])), dl));

        art.append(renderPatents(Array.isArray(t.patents) ? t.patents : []));
        v.append(art);
    }

    function renderPatents(patents) {
        const sec = h('section', { class: 'patents' });
        sec.append(h('h3', { id: 'patents-title' }, bi(['특허', 'Patents']), ' ', h('span', { class: 'n' }, '(' + patents.length + ')')));
        if (patents.length === 0) {
            sec.append(h('p', null, '등록된 특허 정보가 없습니다. ', h('span', { lang: 'en' }, 'No patent is recorded.')));
            return sec;
        }
        const cols = [
            ['number', ['출원번호', 'Application no.']],
            ['country', ['국가', 'Country']],
            ['kind', ['종류', 'Kind']],
            ['status', ['상태', 'Status']],
            ['filed', ['출원일', 'Filed']],
            ['registered', ['등록일', 'Registered']],
            ['registration_number', ['등록번호', 'Registration no.']],
        ];
        const table = h('table', null,
            h('caption', { class: 'sr-only' }, '특허 목록 Patents'),
            h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, bi(c[1]))))));
        const tbody = h('tbody');
        for (const p of patents) {
            tbody.append(h('tr', null, cols.map((c, i) => {
                const val = p[c[0]];
                let text = val === null || val === undefined || val === '' ? '–' : String(val);
                if ((c[0] === 'status' || c[0] === 'kind') && PATENT_WORDS[text]) text = bi(PATENT_WORDS[text]);
                return i === 0 ? h('th', { scope: 'row' }, text) : h('td', null, text);
            })));
        }
        table.append(tbody);
        sec.append(h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'patents-title' }, table));
        return sec;
    }

    /* ---------- start ---------- */

    if ('scrollRestoration' in history) history.scrollRestoration = 'manual';
    initControls();
    onWidth();
    loadInstitutions().then(() => {
        /* name the institution facet and chip once the names are known */
        if (state.lastSearch && state.id === null) {
            renderFacets(state.lastSearch.params, state.lastSearch.body.facets || {});
            renderActive(state.lastSearch.params);
        }
    });
    render({});
})();
