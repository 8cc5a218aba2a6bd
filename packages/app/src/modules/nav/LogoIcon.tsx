import { makeStyles } from '@material-ui/core';
import MicIcon from '@material-ui/icons/Mic';

const useStyles = makeStyles({
  root: { color: '#7df3e1', display: 'flex' },
});

/** Sidebar logo (closed sidebar). */
export const LogoIcon = () => {
  const classes = useStyles();
  return (
    <span className={classes.root}>
      <MicIcon fontSize="large" />
    </span>
  );
};
