import { makeStyles } from '@material-ui/core';
import MicIcon from '@material-ui/icons/Mic';

const useStyles = makeStyles({
  root: {
    display: 'flex',
    alignItems: 'center',
    gap: 8,
    color: '#7df3e1',
    fontSize: 18,
    fontWeight: 600,
    lineHeight: 1.1,
    whiteSpace: 'nowrap',
  },
});

/** Sidebar logo (open sidebar): the product name. */
export const LogoFull = () => {
  const classes = useStyles();
  return (
    <span className={classes.root}>
      <MicIcon fontSize="large" />
      <span>
        Mobile Voice
        <br />
        Recording
      </span>
    </span>
  );
};
