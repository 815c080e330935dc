document.getElementById('box').dataset.js = 'ran';
