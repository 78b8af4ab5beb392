/* The dashboard's two charts, drawn from the figures the page carries as JSON (#traffic-data). */
(function () {
  "use strict";
  const traffic = JSON.parse(document.getElementById('traffic-data').textContent);
  const palette = ['#198754', '#fd7e14', '#6f42c1', '#d63384'];
  new Chart(document.getElementById('traffic-calls'), {
    type: 'bar',
    data: {labels: traffic.days, datasets: [
      {label: 'Calls', data: traffic.calls, backgroundColor: '#9ec5fe'},
      {label: 'Answered', data: traffic.answered, backgroundColor: '#0d6efd'},
      {label: 'Billed minutes', data: traffic.minutes, type: 'line', yAxisID: 'minutes', borderColor: '#adb5bd',
       pointRadius: 0, tension: 0.3}]},
    options: {maintainAspectRatio: false, interaction: {mode: 'index', intersect: false},
              scales: {y: {beginAtZero: true, title: {display: true, text: 'calls'}},
                       minutes: {position: 'right', beginAtZero: true, grid: {drawOnChartArea: false},
                                 title: {display: true, text: 'minutes'}}}}
  });
  new Chart(document.getElementById('traffic-revenue'), {
    type: 'line',
    data: {labels: traffic.days, datasets: Object.entries(traffic.revenue).map(([currency, amounts], n) => (
      {label: 'Revenue ' + currency, data: amounts, borderColor: palette[n % palette.length],
       backgroundColor: palette[n % palette.length], tension: 0.3, pointRadius: 2}))},
    options: {maintainAspectRatio: false, interaction: {mode: 'index', intersect: false},
              scales: {y: {beginAtZero: true}}}
  });
})();
