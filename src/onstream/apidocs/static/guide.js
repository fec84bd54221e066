// A link to the one-page guide of before (/docs/guide#get-session) goes on to the call on
// its resource's page; without scripts the same item on the index links there.
(function () {
  var id = decodeURIComponent(window.location.hash.slice(1));
  var item = id ? document.getElementById(id) : null;
  var link = item && item.tagName === "LI" ? item.querySelector("a") : null;
  if (link) window.location.replace(link.href);
})();
